"""micrograd's and PyTorch's idioms on ``Value`` (issue 12).

- micrograd's ``demo.ipynb``, vendored under ``tests/clients/`` and run with
  only its imports swapped, prints the very losses and accuracies stored in it;
- ``node._backward()`` steps backpropagation by hand, and an assigned
  ``_backward`` closure is a custom op that backward, forward mode, gradcheck,
  the drawings and the stepper all run;
- ``float``, ``int``, ``round`` and format specs work, except while tracing;
- ``with no_grad(): p -= lr * p.grad`` updates the parameter in place;
- ``backward(retain_graph=..., create_graph=...)``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import operator
import random
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Value, VersionError, grad, gradcheck, no_grad
from autograd.errors import DivisionByZero, OpError
from autograd.forward import forward_tangents
from autograd.primitives import CustomOp, CustomOpError
from autograd.sweep import RuleError, watch_backward
from autograd.tape import TraceError, trace

CLIENTS = Path(__file__).parent.parent / "clients"


@pytest.fixture
def python_random():
    """Run a test that seeds Python's ``random`` and leave its state as it was."""
    state = random.getstate()
    yield
    random.setstate(state)


# --------------------------------------------------------------------------- micrograd's demo


class _NoPlots:
    """Stands in for ``matplotlib.pyplot``: every call draws nothing."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


def _moons(n_samples: int = 100, noise: float | None = None, **kwargs):
    """The demo's ``make_moons(n_samples=100, noise=0.1)``, vendored (see the JSON's ``source``)."""
    assert (n_samples, noise, kwargs) == (100, 0.1, {}), "the vendored points are the demo's only"
    data = json.loads((CLIENTS / "micrograd_demo_moons.json").read_text())
    return np.array(data["X"]), np.array(data["y"])


_SWAPS = {
    "from micrograd.engine import Value": "from autograd import Value",
    "from micrograd.nn import Neuron, Layer, MLP": "from nn import Neuron, Layer, MLP",
    "from sklearn.datasets import make_moons, make_blobs": "",
    "import matplotlib.pyplot as plt": "",
    "%matplotlib inline": "",
}


def _run_demo(tmp_path: Path) -> tuple[list[str], list[str]]:
    """Run the demo's code cells up to training (imports swapped); its stored and our outputs."""
    notebook = json.loads((CLIENTS / "micrograd_demo.ipynb").read_text())
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    stored, sources = [], []
    for cell in cells:
        source = "".join(cell["source"])
        if "decision boundary" in source:  # the plot after training prints nothing of ours
            break
        for old, new in _SWAPS.items():
            source = source.replace(old, new)
        assert "micrograd" not in source and "sklearn" not in source
        sources.append(source)
        stored += [
            "".join(o["text"]) for o in cell.get("outputs", []) if o.get("name") == "stdout"
        ]
    script = tmp_path / "micrograd_demo.py"
    script.write_text("\n\n".join(sources))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(script), init_globals={"plt": _NoPlots(), "make_moons": _moons})
    return "".join(stored).splitlines(), out.getvalue().splitlines()


_STEP = re.compile(r"step (\d+) loss ([-\d.e]+), accuracy ([\d.]+)%")


@pytest.mark.slow  # trains micrograd's demo network on the scalar engine: about a minute
def test_micrograd_demo_prints_its_stored_losses_and_accuracies(python_random, tmp_path):
    stored, ours = _run_demo(tmp_path)
    expected = [m.groups() for m in map(_STEP.fullmatch, stored) if m]
    got = [m.groups() for m in map(_STEP.fullmatch, ours) if m]
    assert len(expected) == 100
    assert [k for k, _, _ in got] == [k for k, _, _ in expected]
    for (k, loss, acc), (_, want_loss, want_acc) in zip(got, expected, strict=True):
        assert float(acc) == float(want_acc), f"step {k}"
        assert abs(float(loss) - float(want_loss)) <= 1e-12 * abs(float(want_loss)), f"step {k}"
    # the first printed loss (cell 6) and the parameter count (cell 5)
    assert "number of parameters 337" in ours
    first = re.search(r"data=([-\d.e]+), grad=[\d.]+\) ([\d.]+)", "\n".join(ours))
    assert first is not None and float(first.group(1)) == 0.8958441028683222
    assert float(first.group(2)) == 0.5


def test_micrograd_family_draws_as_micrograd_does(python_random):
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [4, 2])
    random.seed(7)
    ours = nn.MLP(3, [4, 2])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def test_micrograd_family_with_a_generator_ignores_python_random(python_random):
    random.seed(1)
    a = nn.MLP(2, [3, 1], generator=5)
    random.seed(2)
    b = nn.MLP(2, [3, 1], generator=np.random.default_rng(5))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    state = random.getstate()
    nn.Neuron(4, generator=3)
    assert random.getstate() == state


def test_manual_seed_also_seeds_the_micrograd_family(python_random):
    nn.manual_seed(4)
    a = [p.data for p in nn.MLP(2, [3, 1]).parameters()]
    random.seed(4)
    assert [p.data for p in nn.MLP(2, [3, 1]).parameters()] == a


def test_layer_with_an_int_seed_gives_its_neurons_different_weights():
    layer = nn.Layer(3, 2, generator=11)
    first, second = ([w.data for w in n.w] for n in layer.neurons)
    assert first != second


def test_pytorch_family_keeps_manual_seed(python_random):
    nn.manual_seed(3)
    a = nn.Linear(3, 2)
    random.seed(99)
    nn.manual_seed(3)
    b = nn.Linear(3, 2)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


# --------------------------------------------------------------------------- _backward


def _lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return (x1, x2, w1, w2, b), (x1w1, x2w2, x1w1x2w2, n, o)


def test_lecture_steps_backward_by_hand():
    (x1, x2, w1, w2, b), (x1w1, x2w2, x1w1x2w2, n, o) = _lecture_neuron()
    o.grad = 1.0
    for node in (o, n, x1w1x2w2, x2w2, x1w1, b, x1):  # leaves have no step: a no-op
        node._backward()
    assert math.isclose(n.grad, 0.5, rel_tol=1e-12)
    assert math.isclose(b.grad, 0.5, rel_tol=1e-12)
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-12)
    assert math.isclose(w1.grad, 1.0, rel_tol=1e-12)
    assert math.isclose(x2.grad, 0.5, rel_tol=1e-12)
    assert w2.grad == 0.0
    manual = [v.grad for v in (x1, x2, w1, w2, b)]
    for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o):
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in (x1, x2, w1, w2, b)] == manual


def test_backward_step_of_an_unknown_op_names_it():
    x = Value(2.0)
    y = Value(8.0, (x,), "cube")
    with pytest.raises(RuleError, match="'cube'"):
        y._backward()
    with pytest.raises(RuleError, match="'cube'"):
        y.backward()


def _cube(x: Value) -> Value:
    """micrograd's way of declaring an op."""
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    return out


def test_custom_op_backward_and_its_own_step():
    x = Value(2.0)
    y = _cube(x) * 2.0
    y.backward()
    assert x.grad == 24.0
    assert isinstance(y._prev[0]._op, CustomOp) and y._prev[0].op == "cube"
    x.grad = 0.0
    cube = y._prev[0]
    cube.grad = 1.0
    cube._backward()  # the closure itself, as in micrograd
    assert x.grad == 12.0


def test_custom_op_probe_leaves_every_grad_as_it_was():
    x = Value(3.0)
    x.grad = 5.0
    y = _cube(x)
    y.grad = 7.0
    assert grad(y, x) == [27.0]
    assert (x.grad, y.grad) == (5.0, 7.0)


def test_custom_op_with_a_repeated_parent():
    x = Value(3.0)
    out = Value(x.data * x.data, (x, x), "square")

    def _backward():
        x.grad += x.data * out.grad
        x.grad += x.data * out.grad

    out._backward = _backward
    (out * 1.0).backward()
    assert x.grad == 6.0


def test_custom_op_in_forward_mode_and_gradcheck():
    assert gradcheck(lambda x: _cube(x.sin()) + x, [0.7])
    x = Value(0.5)
    y = _cube(x)
    assert forward_tangents([y], {x: 1.0}, store=False) == [0.75]

    def wrong(x: Value) -> Value:
        out = Value(x.data**3, (x,), "cube")

        def _backward():
            x.grad += 2 * x.data * out.grad  # the derivative of x**2, not x**3

        out._backward = _backward
        return out

    assert not gradcheck(wrong, [0.7], raise_exception=False)


def test_custom_op_is_drawn_and_stepped():
    viz = pytest.importorskip("viz")
    x = Value(2.0, label="x")
    y = _cube(x) + 1.0
    order, grads, visits = watch_backward(y)
    assert grads[order.index(x)] == 12.0
    edges = [e for visit in visits for e in visit]
    assert [(e.node.op, e.partial) for e in edges] == [("+", 1.0), ("+", 1.0), ("cube", 12.0)]
    assert x.grad == 0.0  # watching changes nothing
    assert "cube" in viz.draw_graph(y).source


def test_custom_op_refuses_create_graph_and_tracing():
    x = Value(2.0)
    y = _cube(x)
    with pytest.raises(CustomOpError, match=r"backward of cube.*create_graph"):
        grad(y, x, create_graph=True)
    assert x.grad == 0.0 and y.grad == 0.0
    with pytest.raises(TraceError, match="cube"):
        trace(lambda v: _cube(v), [2.0])


def test_custom_op_closure_errors_name_the_op():
    x = Value(2.0)
    out = Value(4.0, (x,), "sq")

    def broken():
        raise KeyError("oops")

    out._backward = broken
    with pytest.raises(OpError, match=r"backward of sq.*KeyError"):
        out.backward()
    assert x.grad == 0.0

    out._backward = lambda: setattr(x, "grad", "a string")
    with pytest.raises(CustomOpError, match=r"backward of sq.*'a string'"):
        out.backward()


def test_backward_assignment_is_checked():
    x = Value(2.0)
    with pytest.raises(ValueError, match="leaf"):
        x._backward = lambda: None
    y = Value(4.0, (x,), "sq")
    with pytest.raises(TypeError, match="function"):
        y._backward = 3
    assert y.op == "sq" and not isinstance(y._op, CustomOp)


def test_table_op_with_the_wrong_number_of_parents_says_so():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"'exp' takes 1 input.*got 2 parent"):
        Value(math.exp(1.0), (a, b), "exp")
    with pytest.raises(TypeError, match=r"'\+' takes 2 input.*got 1 parent"):
        Value(3.0, (a,), "+")
    assert Value(3.0, (a, b), "+").op == "+"


# --------------------------------------------------------------------------- numbers


def test_numbers_from_a_value():
    loss = Value(2.71828) * 1.0
    assert float(loss) == 2.71828 and type(float(loss)) is float
    assert f"{loss:.4f}" == "2.7183"
    assert f"{loss}" == str(loss) == repr(loss)
    assert round(loss, 3) == 2.718 and round(loss) == 3
    assert int(loss) == 2 and int(-loss) == -2
    assert math.isclose(math.exp(Value(0.0)), 1.0)


def test_numbers_are_refused_while_tracing_but_printing_is_not():
    def reads(conversion):
        def f(x: Value) -> Value:
            conversion(x * 2.0)
            return x * 3.0

        return f

    for conversion in (float, int, round, lambda v: round(v, 2)):
        with pytest.raises(TraceError, match="float"):
            trace(reads(conversion), [1.5])
    tape = trace(reads(lambda v: f"{v:.3f}"), [1.5])
    assert tape is not None


# --------------------------------------------------------------------------- in-place updates


def test_no_grad_update_changes_the_parameter_in_place():
    p = Value(1.0)
    loss = p * p
    loss.backward()
    before = p
    with no_grad():
        p -= 0.1 * p.grad
        p += Value(0.05)
        p *= 2
        p /= 4
    assert p is before
    assert math.isclose(p.data, ((1.0 - 0.2 + 0.05) * 2) / 4)
    with pytest.raises(VersionError):  # the old graph holds the old data
        loss.backward()


def test_in_place_on_a_leaf_outside_no_grad_is_pytorch_s_error():
    p = Value(1.0)
    for update in (operator.isub, operator.iadd, operator.imul, operator.itruediv):
        with pytest.raises(RuntimeError, match=r"leaf Variable that requires grad.*no_grad"):
            update(p, 2)  # p -= 2, p += 2, ...
    assert p.data == 1.0


def test_in_place_on_a_non_leaf_is_a_new_node():
    x = Value(2.0)
    h = x * 3.0
    old = h
    h += 1.0
    assert h is not old and h._prev == (old, h._prev[1]) and h.data == 7.0
    h.backward()
    assert x.grad == 3.0


def test_in_place_refuses_bad_operands_and_zero_divisor():
    p = Value(1.0)
    with no_grad():
        with pytest.raises(TypeError, match=r"-=.*str"):
            p -= "a"
        with pytest.raises(DivisionByZero):
            p /= 0
    assert p.data == 1.0


# --------------------------------------------------------------------------- backward's options


def test_retain_graph_is_accepted_and_changes_nothing():
    x = Value(3.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)
    assert x.grad == 12.0


def test_create_graph_makes_grads_differentiable():
    x = Value(3.0)
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 27.0
    g = x.grad
    x.grad = 0.0
    g.backward()
    assert x.grad == 18.0
