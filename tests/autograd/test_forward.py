"""Forward mode: dual numbers, jvp and tangents over a recorded graph agree with reverse mode."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from autograd import Dual, Value, forward_tangents, grad, jvp
from autograd.testing import floats_in


def f(x, y):
    return (x * y + x.sin()).tanh() * y.exp() + (x * x + 1).log() / y.sigmoid()


@given(floats_in(-2, 2), floats_in(-2, 2), floats_in(-1, 1), floats_in(-1, 1))
def test_jvp_equals_reverse_mode_dot_tangent(x, y, tx, ty):
    value, directional = jvp(f, [x, y], [tx, ty])
    xv, yv = Value(x), Value(y)
    out = f(xv, yv)
    gx, gy = grad(out, [xv, yv])
    assert value == out.data
    assert abs(directional - (gx * tx + gy * ty)) <= 1e-12 * (1 + abs(directional))


@given(floats_in(-2, 2), floats_in(-2, 2))
def test_forward_tangents_over_recorded_graph_equal_reverse_mode(x, y):
    xv, yv = Value(x), Value(y)
    out = f(xv, yv)
    gx, gy = grad(out, [xv, yv])
    assert forward_tangents(out, {xv: 1.0}) == pytest.approx(gx, rel=1e-12, abs=1e-12)
    assert forward_tangents(out, {yv: 1.0}) == pytest.approx(gy, rel=1e-12, abs=1e-12)


def test_forward_tangents_sets_a_tangent_on_every_node():
    x, w = Value(0.5), Value(-3.0)
    h = x * w
    out = h.tanh()
    assert out.tangent is None
    t = forward_tangents(out, {x: 1.0})
    assert x.tangent == 1.0 and w.tangent == 0.0 and h.tangent == -3.0
    assert out.tangent == t == pytest.approx(-3.0 * (1 - math.tanh(-1.5) ** 2))


def test_forward_tangents_rejects_seeds_on_inner_nodes():
    x = Value(1.0)
    h = x * 2
    with pytest.raises(ValueError, match="not a leaf"):
        forward_tangents(h * 3, {h: 1.0})


def test_jvp_of_a_vector_function_and_of_a_constant():
    values, tangents = jvp(lambda x, y: [x * y, x + y], [2.0, 3.0], [1.0, 0.0])
    assert values == [6.0, 5.0] and tangents == [3.0, 1.0]
    assert jvp(lambda x: 4.0, [1.0], [1.0]) == (4.0, 0.0)


def test_jvp_argument_errors():
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda x, y: x * y, [1.0, 2.0], [1.0])


def test_dual_arithmetic_and_errors():
    d = Dual(2.0, 1.0)
    e = 3 * d**2 - 1 / d
    assert e.data == 11.5 and e.tangent == 12.25
    assert repr(Dual(1.0, 2.0)) == "Dual(data=1.0, tangent=2.0)"
    with pytest.raises(TypeError, match=r"\*: cannot combine a Dual with a Value"):
        d * Value(1.0)
    with pytest.raises(TypeError, match=r"\+: unsupported operand str"):
        d + "x"
