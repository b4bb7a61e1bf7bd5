"""Value: construction, the micrograd-compatible API, accumulation, comparisons, modes."""

from __future__ import annotations

import os
import sys

import pytest

from autograd import Value, enable_grad, grad, is_grad_enabled, no_grad, topological_order


def test_micrograd_readme_example():
    # micrograd's README: g.data 24.7041, a.grad 138.8338, b.grad 645.5773
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_micrograd_sanity_check():
    # micrograd's test_sanity_check, whose reference numbers come from PyTorch
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_lecture_example_gradients():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)


def test_value_holds_data_grad_label_op_and_parents_in_order():
    a = Value(3, label="a")
    assert a.data == 3.0 and isinstance(a.data, float)
    assert a.grad == 0.0 and a.label == "a" and a.op == "" and a._prev == ()
    b = Value(2.0)
    y = b * a
    assert y._prev == (b, a)  # argument order, a tuple
    assert isinstance(y._op, str) and y._op == "*"
    assert repr(a) == "Value(data=3.0, grad=0.0, label='a')"
    assert repr(y) == "Value(data=6.0, grad=0.0)"


def test_value_uses_slots():
    v = Value(1.0)
    with pytest.raises(AttributeError):
        v.something = 1


def test_reused_node_gets_both_contributions():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    x2 = Value(3.0)
    (x2 + x2).backward()
    assert x2.grad == 2.0


def test_gradients_accumulate_across_backward_calls_like_pytorch():
    x = Value(2.0)
    y = (x * x).tanh()
    y.backward()
    first = {n: n.grad for n in topological_order(y)}
    y.backward()
    for node, g in first.items():
        assert node.grad == 2 * g  # every node, intermediate ones included: no double counting
    assert y.grad == 2.0


def test_backward_with_seed_gradient():
    x = Value(2.0)
    (x * 3).backward(gradient=0.5)
    assert x.grad == 1.5


def test_grad_does_not_touch_dot_grad():
    x = Value(2.0)
    x.grad = 7.0
    y = x * x
    assert grad(y, [x]) == [4.0]
    assert x.grad == 7.0 and y.grad == 0.0


def test_grad_of_unused_input_is_zero():
    x, z = Value(1.0), Value(5.0)
    assert grad(x * 2, [x, z]) == [2.0, 0.0]
    assert grad(x, x) == [1.0]


def test_reflected_operators_with_numbers():
    x = Value(2.0)
    assert (1 + x).data == 3.0 and (1 - x).data == -1.0
    assert (3 * x).data == 6.0 and (1 / x).data == 0.5
    assert (2**x).data == 4.0 and (-x).data == -2.0 and (+x) is x
    y = 10 - x / 4
    y.backward()
    assert x.grad == -0.25


def test_value_exponent():
    x, y = Value(2.0), Value(3.0)
    z = x**y
    assert z.data == 8.0 and z.op == "pow"
    assert grad(z, [x, y]) == pytest.approx([12.0, 8.0 * 0.6931471805599453])


def test_comparisons_compare_data_and_equality_is_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and not a > 1.0
    same = a
    assert a != Value(1.0) and a == same
    table = {a: "a", b: "b"}
    assert table[a] == "a" and len({a, Value(1.0)}) == 2
    assert sorted([b, a]) == [a, b]


def test_numbers_of_other_real_types_are_accepted():
    import fractions

    import numpy as np

    x = Value(np.float64(1.5)) + np.int64(2)
    assert x.data == 3.5 and type(x.data) is float
    assert (Value(1.0) + fractions.Fraction(1, 2)).data == 1.5
    assert Value(True).data == 1.0


def test_numpy_arrays_map_over_values():
    import numpy as np

    xs = np.array([1.0, 2.0]) * Value(3.0)
    assert [v.data for v in xs] == [3.0, 6.0]


def test_item_and_detach():
    x = Value(2.0)
    y = (x * 3).detach()
    assert y.item() == 6.0 and y._prev == () and y.op == ""


def test_no_grad_records_no_parents_and_restores_state():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3
        with enable_grad():
            z = x * 3
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y._prev == () and y.data == 6.0
    assert z._prev != ()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_micrograd_style_constructor_maps_known_ops_onto_the_table():
    a, b = Value(2.0), Value(3.0)
    c = Value(a.data * b.data, (a, b), "*")
    c.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_million_node_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_000.5


def test_drawing_code_written_for_micrograd_runs():
    # micrograd's trace_graph notebook walks _prev and reads _op, data and grad
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(y)
    labels = [str(id(n)) + n._op for n in nodes if n._op]
    assert len(nodes) == 6 and len(edges) == 5 and len(labels) == 3  # x, 2, *, 1, +, relu


def test_apply_runs_table_rows_and_rows_of_your_own():
    from autograd import Primitive, apply, hessian

    x = Value(0.5)
    assert apply("sin", x).data == x.sin().data
    assert apply("softplus", x, params=(2.0, 20.0)).data == x.softplus(2.0, 20.0).data
    swish = Primitive(
        "swish", 1, lambda m, v: v * m.sigmoid(v),
        lambda m, out, v: (m.sigmoid(v) + out * (1 - m.sigmoid(v)),),
    )
    y = apply(swish, x)
    assert y.op == "swish" and y._prev == (x,)
    composed = x * x.sigmoid()
    assert y.data == composed.data
    assert grad(y, [x])[0] == pytest.approx(grad(composed, [x])[0], rel=1e-15)
    assert hessian(lambda v: apply(swish, v), [0.5]) == pytest.approx(
        hessian(lambda v: v * v.sigmoid(), [0.5]), rel=1e-12)
    with pytest.raises(ValueError, match="no primitive named 'nope'"):
        apply("nope", x)
    with pytest.raises(TypeError, match="takes 1 input"):
        apply(swish, x, x)


def test_packages_built_on_the_engine_register_their_frames(tmp_path, monkeypatch):
    """Under detect_anomaly a node records the user's line: frames of registered packages
    (nn and viz register themselves at import) are skipped, the engine knows no paths of its own."""
    import importlib.util

    import nn
    import viz
    from autograd import detect_anomaly
    from autograd import value as value_module

    dirs = value_module._internal_dirs
    assert os.path.dirname(nn.__file__) + os.sep in dirs
    assert os.path.dirname(viz.__file__) + os.sep in dirs

    library = tmp_path / "mylib"
    library.mkdir()
    (library / "helpers.py").write_text("def make(Value):\n    return Value(1.0)\n")
    spec = importlib.util.spec_from_file_location("mylib_helpers", library / "helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)

    with detect_anomaly():
        inside = helpers.make(Value)
    assert "helpers.py" in inside.site  # an unregistered package is user code

    monkeypatch.setattr(value_module, "_internal_dirs", dirs)  # restored after the test
    value_module.register_package(str(library / "helpers.py"))
    value_module.register_package(str(library))  # a directory works too, and twice is once
    assert value_module._internal_dirs.count(str(library) + os.sep) == 1
    with detect_anomaly():
        skipped = helpers.make(Value)
    assert "test_value.py" in skipped.site
