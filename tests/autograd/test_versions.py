"""The version counter: ``backward`` refuses a graph whose data was assigned after it was used.

As PyTorch's in-place check: every assignment to ``.data`` gives the node a
new version, and a backward pass through a node that used the old data
raises ``VersionError`` naming the changed node and the op that used it,
instead of mixing old and new values into wrong gradients. ``.data`` takes
real numbers only, as ``Value()`` does.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import nn
from autograd import Value, VersionError, grad, no_grad, topological_order


def test_assigning_a_used_leaf_makes_backward_refuse():
    """The issue's example: this gave x.grad == 20 with y.data == 4."""
    x = Value(2.0, label="x")
    y = x * x
    x.data = 10.0
    with pytest.raises(VersionError) as info:
        y.backward()
    message = str(info.value)
    assert "label='x'" in message and "data=10.0" in message  # the node whose data changed
    assert "'*' used it" in message and "data=4.0" in message  # the op and node that used it
    assert x.grad == 0.0 and y.grad == 0.0  # nothing was accumulated


def test_the_changed_node_is_found_deep_in_the_graph():
    w, b = Value(0.5, label="w"), Value(0.1, label="b")
    x = Value(2.0)
    out = ((x * w + b).tanh() * 3.0).exp()
    b.data = 0.2
    with pytest.raises(VersionError, match=r"label='b'.* '\+' used it \(input 1"):
        out.backward()
    with pytest.raises(VersionError, match="label='b'"):
        grad(out, [w])
    with pytest.raises(VersionError, match="label='b'"):
        grad(out, [w], create_graph=True)


def test_data_assigned_before_the_graph_is_built_is_fine():
    x = Value(2.0)
    x.data = 3.0
    y = x * x
    y.backward()
    assert x.grad == 6.0
    y.backward()  # backward again on an unchanged graph: accumulates
    assert x.grad == 12.0


def test_assigning_an_unrelated_node_changes_nothing():
    x, other = Value(2.0), Value(5.0)
    y = x * x
    other.data = 7.0
    y.backward()
    assert x.grad == 4.0


def test_an_old_subgraph_used_after_an_assignment_is_fine():
    """Features computed once, a weight assigned, a new graph on both: nothing is stale."""
    x = Value(1.5)
    features = [x * 2.0, x.tanh()]
    w = Value(0.5)
    w.data = -0.5
    out = features[0] * w + features[1]
    out.backward()
    assert w.grad == 3.0 and x.grad == pytest.approx(-1.0 + 1.0 - math.tanh(1.5) ** 2)
    w.data = 0.25  # but now `out` used the old w
    with pytest.raises(VersionError, match=r"data=0.25.* '\*' used it \(input 1"):
        out.backward()


def test_micrograd_style_nodes_are_checked_too():
    a, b = Value(2.0), Value(3.0)
    c = Value(a.data * b.data, (a, b), "*")
    d = Value(c.data + c.data, (c, c), "+")
    a.data = 5.0
    with pytest.raises(VersionError, match=r"data=5.0.* '\*' used it \(input 0"):
        c.backward()
    with pytest.raises(VersionError, match=r"data=5.0"):
        d.backward()


def test_walking_a_changed_graph_is_fine_only_backward_refuses():
    """Drawing the graph after an optimizer step, say: the walk notes the edge, it does not raise."""
    x = Value(2.0, label="x")
    y = x * 3.0
    x.data = 5.0
    order = topological_order(y)
    assert order == [x, y._prev[1], y] and order.stale == (y, x)
    assert topological_order(x * 3.0).stale is None  # a graph built after the change
    with pytest.raises(VersionError):
        y.backward()


def test_micrograd_update_loop_keeps_working():
    w = Value(1.0)
    for _ in range(5):
        w.grad = 0.0
        loss = (w * 2.0 - 1.0) ** 2
        loss.backward()
        w.data += -0.1 * w.grad  # micrograd's update, then a fresh graph each step
    assert w.data == pytest.approx(0.5 + 0.5 * 0.2**5)


def test_backward_through_a_graph_after_an_optimizer_step_is_refused():
    model = nn.MLP(2, [3, 1], generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    opt.step()
    with pytest.raises(VersionError, match="assigned after"):
        loss.backward()
    opt.zero_grad()
    loss = (model([0.5, -1.0]) - 1.0) ** 2  # the usual loop: a new graph from the new weights
    loss.backward()
    assert any(p.grad != 0.0 for p in model.parameters())


def test_assigning_a_node_made_by_an_op_refuses_its_own_backward():
    x = Value(0.3)
    y = x.tanh()
    z = y * 2.0
    y.data = 0.9  # tanh's rule reads its output: x would get 1 - 0.81
    with pytest.raises(VersionError, match=r"made by 'tanh', was assigned after it was computed"):
        z.backward()
    with pytest.raises(VersionError, match="made by 'tanh'"):
        y.backward()
    d = x.tanh().detach()  # the way to edit a computed value: a leaf of its own
    d.data = 0.9
    (d * 2.0).backward()
    assert d.grad == 2.0


@pytest.mark.parametrize("bad", ["abc", None, [1.0], Value(1.0), np.array([1.0, 2.0]), 1j],
                         ids=["str", "None", "list", "Value", "array", "complex"])
def test_data_refuses_what_is_not_a_real_number(bad):
    x = Value(2.0)
    y = x * x
    with pytest.raises(TypeError, match=r"Value\.data: expected a real number") as info:
        x.data = bad
    assert type(bad).__name__ in str(info.value)
    assert x.data == 2.0
    y.backward()  # a refused assignment is no change: the graph stays valid
    assert x.grad == 4.0


@pytest.mark.parametrize("number, expected", [
    (3, 3.0), (True, 1.0), (np.float32(1.5), 1.5), (np.int64(-4), -4.0), (np.float64(0.25), 0.25),
], ids=["int", "bool", "float32", "int64", "float64"])
def test_data_takes_numbers_as_floats_as_value_does(number, expected):
    x = Value(0.0)
    x.data = number
    assert type(x.data) is float and x.data == expected == Value(number).data


def test_nodes_made_under_no_grad_are_leaves_and_may_be_assigned():
    x = Value(2.0)
    with no_grad():
        c = x * 3.0
    y = c * x
    c.data = 1.0
    with pytest.raises(VersionError, match=r"data=1.0"):
        y.backward()
    c.data = 6.0  # the same value again is still a new version: the check is by time, not value
    with pytest.raises(VersionError):
        y.backward()


def test_assignments_in_another_thread_to_other_nodes_do_not_disturb_a_backward():
    built, assigned = threading.Event(), threading.Event()
    x = Value(1.5)
    others = [Value(float(i)) for i in range(100)]

    def assign_others():
        assert built.wait(30)
        for i, v in enumerate(others):
            v.data = -float(i)
        assigned.set()

    worker = threading.Thread(target=assign_others)
    worker.start()
    y = (x * x).exp()
    built.set()
    assert assigned.wait(30)
    worker.join(30)
    y.backward()  # the shared clock moved on, but nothing this graph used changed
    assert x.grad == pytest.approx(2 * 1.5 * np.exp(2.25))
    z = others[3] * 2.0
    z.backward()
    assert others[3].grad == 2.0 and others[3].data == -3.0
