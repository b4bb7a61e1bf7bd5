"""The test table: one row per primitive of ``autograd.primitives.TABLE``, with its input domain.

Each row says how to call the op, where its inputs may be drawn (away from
kinks and poles), how to draw its constant parameters, and its value by an
independent closed form. One parametrised checker per property runs over
all rows; a primitive without a row fails ``test_every_primitive_has_a_row``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import PRIMITIVES, TABLE, Value, grad, hessian, numeric_gradient
from autograd.testing import assert_gradients, floats_in


@dataclass
class Row:
    call: Callable  # call(*inputs, *params) on Values or Duals
    inputs: list  # one strategy per input
    reference: Callable  # reference(*inputs, *params) on floats
    params: st.SearchStrategy = field(default_factory=lambda: st.just(()))
    kink: Callable | None = None  # distance of the inputs from a non-differentiable point


R = floats_in(-10, 10)
POSITIVE = floats_in(0.05, 20)


def _softplus_ref(x, beta, threshold):
    return x if beta * x > threshold else math.log1p(math.exp(beta * x)) / beta


TEST_TABLE: dict[str, Row] = {
    "+": Row(lambda a, b: a + b, [R, R], lambda a, b: a + b),
    "-": Row(lambda a, b: a - b, [R, R], lambda a, b: a - b),
    "*": Row(lambda a, b: a * b, [R, R], lambda a, b: a * b),
    "/": Row(lambda a, b: a / b, [R, floats_in(-10, 10, avoid=[0], margin=0.05)],
             lambda a, b: a / b),
    "neg": Row(lambda a: -a, [R], lambda a: -a),
    "**": Row(lambda x, c: x**c, [POSITIVE], lambda x, c: x**c,
              params=st.tuples(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.5]))),
    "pow": Row(lambda x, y: x**y, [floats_in(0.05, 5), floats_in(-3, 3)], math.pow),
    "exp": Row(lambda x: x.exp(), [floats_in(-20, 20)], math.exp),
    "log": Row(lambda x: x.log(), [floats_in(0.01, 100)], math.log),
    "log1p": Row(lambda x: x.log1p(), [floats_in(-0.99, 100)], lambda x: math.log(1 + x)),
    "expm1": Row(lambda x: x.expm1(), [floats_in(-20, 20)], lambda x: math.exp(x) - 1),
    "sqrt": Row(lambda x: x.sqrt(), [floats_in(0.01, 100)], lambda x: x**0.5),
    "sin": Row(lambda x: x.sin(), [R], math.sin),
    "cos": Row(lambda x: x.cos(), [R], math.cos),
    "tanh": Row(lambda x: x.tanh(), [R],
                lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)),
    "sigmoid": Row(lambda x: x.sigmoid(), [floats_in(-30, 30)], lambda x: 1 / (1 + math.exp(-x))),
    "relu": Row(lambda x: x.relu(), [R], lambda x: x if x > 0 else 0.0, kink=abs),
    "abs": Row(lambda x: abs(x), [R], lambda x: x if x >= 0 else -x, kink=abs),
    "erf": Row(lambda x: x.erf(), [floats_in(-5, 5)],
               lambda x: 2 / math.sqrt(math.pi) * _integrate_gauss(x)),
    "softplus": Row(lambda x, b, t: x.softplus(b, t), [floats_in(-30, 30)], _softplus_ref,
                    params=st.tuples(st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from([5.0, 20.0])),
                    kink=None),
    "logsigmoid": Row(lambda x: x.logsigmoid(), [floats_in(-50, 50)],
                      lambda x: -math.log1p(math.exp(-x)) if x > 0 else x - math.log1p(math.exp(x))),
    "hardtanh": Row(lambda x, lo, hi: x.hardtanh(lo, hi), [R], lambda x, lo, hi: min(max(x, lo), hi),
                    params=st.sampled_from([(-1.0, 1.0), (0.0, 6.0), (-2.5, 0.5)]),
                    kink=None),
    "hardsigmoid": Row(lambda x: x.hardsigmoid(), [R], lambda x: min(max(x + 3, 0), 6) / 6,
                       kink=lambda x: min(abs(x + 3), abs(x - 3))),
    "prelu": Row(lambda x, a: x.prelu(a), [R, floats_in(-1, 1)], lambda x, a: x if x > 0 else a * x,
                 kink=lambda x, a: abs(x)),
    "elu": Row(lambda x, alpha: x.elu(alpha), [R], lambda x, a: x if x > 0 else a * (math.exp(x) - 1),
               params=st.tuples(st.sampled_from([1.0, 0.5, 2.0])), kink=lambda x: abs(x)),
    "bce": Row(lambda p, y: p.binary_cross_entropy(y), [floats_in(0.001, 0.999)],
               lambda p, y: -(y * math.log(p) + (1 - y) * math.log(1 - p)),
               params=st.tuples(st.sampled_from([0.0, 1.0, 0.25]))),
    "maximum": Row(lambda a, b: a.maximum(b), [R, R], max, kink=lambda a, b: abs(a - b)),
    "minimum": Row(lambda a, b: a.minimum(b), [R, R], min, kink=lambda a, b: abs(a - b)),
}


def _integrate_gauss(x: float, n: int = 2000) -> float:
    """int_0^x e^(-t^2) dt by Simpson's rule: an erf reference independent of math.erf."""
    h = x / n
    total = 1 + math.exp(-x * x)
    for k in range(1, n):
        total += (4 if k % 2 else 2) * math.exp(-((k * h) ** 2))
    return total * h / 3


def _draw(data, name):
    row = TEST_TABLE[name]
    params = data.draw(row.params, label="params")
    inputs = [data.draw(s, label=f"x{i}") for i, s in enumerate(row.inputs)]
    if row.kink is not None:
        assume(row.kink(*inputs) > 1e-3)
    if name == "softplus":  # the switch to the linear branch is a (tiny) jump
        beta, threshold = params
        assume(abs(beta * inputs[0] - threshold) > 1e-3)
    if name == "hardtanh":
        assume(min(abs(inputs[0] - p) for p in params) > 1e-3)
    f = (lambda *xs: row.call(*xs, *params)) if params else row.call
    return row, params, inputs, f


def test_every_primitive_has_a_row():
    assert set(TEST_TABLE) == set(PRIMITIVES), (
        f"rows missing for {set(PRIMITIVES) - set(TEST_TABLE)}, "
        f"rows without a primitive: {set(TEST_TABLE) - set(PRIMITIVES)}"
    )


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_gradients_agree_with_finite_differences(name, data):
    """Reverse mode, forward mode (graph and dual numbers) and central differences agree."""
    _, _, inputs, f = _draw(data, name)
    assert_gradients(f, inputs)


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_forward_value_matches_closed_form(name, data):
    row, params, inputs, f = _draw(data, name)
    got = f(*map(Value, inputs))
    assert got.op.startswith(PRIMITIVES[name].name)
    expected = row.reference(*inputs, *params)
    tol = 1e-9 if name == "erf" else 1e-12  # Simpson's rule is good to about 1e-12 relative
    assert abs(got.data - expected) <= tol + tol * abs(expected)


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_second_derivatives_match_differences_of_first(name, data):
    """grad(create_graph=True) differentiated again equals finite differences of grad."""
    _, _, inputs, f = _draw(data, name)
    h = hessian(f, inputs)

    def first(*xs):
        return grad(f(*xs), list(xs), create_graph=True)

    numeric = numeric_gradient(first, inputs, eps=1e-5)
    for i in range(len(inputs)):
        for j in range(len(inputs)):
            n = numeric[i][j]
            assert abs(h[i, j] - n) <= 1e-4 + 1e-3 * abs(n), (i, j, h[i, j], n)


# --- conventions at kinks (PyTorch's) -------------------------------------------------------


def _grads(f, *xs):
    vs = [Value(x) for x in xs]
    return grad(f(*vs), vs)


def test_relu_derivative_at_zero_is_zero():
    assert _grads(lambda x: x.relu(), 0.0) == [0.0]
    assert _grads(lambda x: x.relu(), 1e-300) == [1.0]
    assert _grads(lambda x: x.relu(), -1e-300) == [0.0]


def test_abs_derivative_at_zero_is_zero():
    assert _grads(lambda x: abs(x), 0.0) == [0.0]
    assert _grads(lambda x: x.abs(), -2.0) == [-1.0]


def test_maximum_and_minimum_split_ties_evenly():
    assert _grads(lambda a, b: a.maximum(b), 1.5, 1.5) == [0.5, 0.5]
    assert _grads(lambda a, b: a.minimum(b), 1.5, 1.5) == [0.5, 0.5]
    assert _grads(lambda a, b: a.maximum(b), 2.0, 1.0) == [1.0, 0.0]
    assert _grads(lambda a, b: a.minimum(b), 2.0, 1.0) == [0.0, 1.0]
    x = Value(3.0)
    assert grad(x.maximum(x), [x]) == [1.0]  # both halves land on the same node


def test_power_with_zero_exponent_has_zero_derivative_everywhere():
    assert _grads(lambda x: x**0, 0.0) == [0.0]
    assert _grads(lambda x: x**0, -3.0) == [0.0]


def test_integer_powers_of_negative_bases():
    assert _grads(lambda x: x**3, -2.0) == [12.0]
    assert _grads(lambda x: x**-1, -2.0) == [-0.25]


def test_softplus_switches_to_identity_above_threshold():
    x = Value(25.0)
    y = x.softplus()
    assert y.data == 25.0 and grad(y, [x]) == [1.0]
    assert Value(-1000.0).softplus().data == 0.0
    assert Value(1000.0).softplus().data == 1000.0


def test_sigmoid_is_stable_at_large_magnitudes():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert _grads(lambda x: x.sigmoid(), -1000.0) == [0.0]


def test_hardtanh_gradient_is_zero_at_the_corners():
    assert _grads(lambda x: x.hardtanh(-1.0, 1.0), 1.0) == [0.0]
    assert _grads(lambda x: x.hardtanh(-1.0, 1.0), -1.0) == [0.0]
    assert _grads(lambda x: x.hardtanh(-1.0, 1.0), 0.999) == [1.0]


def test_prelu_and_elu_take_the_negative_branch_at_zero():
    assert _grads(lambda x, a: x.prelu(a), 0.0, 0.25) == [0.25, 0.0]
    assert _grads(lambda x: x.leaky_relu(0.1), 0.0) == [0.1]
    assert _grads(lambda x: x.elu(2.0), 0.0) == [2.0]
    assert _grads(lambda x: x.elu(2.0), 1000.0) == [1.0]


def test_binary_cross_entropy_clamps_like_pytorch():
    assert Value(0.0).binary_cross_entropy(1.0).data == 100.0
    assert Value(1.0).binary_cross_entropy(0.0).data == 100.0
    assert Value(0.0).binary_cross_entropy(0.0).data == 0.0
    assert _grads(lambda p: p.binary_cross_entropy(1.0), 0.0) == [-1 / 9.999999960041972e-13]
    with pytest.raises(ValueError, match="needs 0 <= p <= 1"):
        Value(1.5).binary_cross_entropy(1.0)


def test_logsigmoid_is_stable():
    assert Value(-1000.0).logsigmoid().data == -1000.0
    assert Value(1000.0).logsigmoid().data == 0.0


def test_ops_are_labelled_as_in_micrograd():
    x = Value(2.0)
    assert (x**2).op == "**2" and (x + x).op == "+" and (x * x).op == "*"
    assert x.relu().op == "relu" and x.softplus(2.0).op == "softplus(2,20)"


@pytest.mark.parametrize("row", TABLE, ids=[r.name for r in TABLE])
def test_every_row_says_how_its_partials_read(row):
    """Steppers and drawings print each partial as its row writes it: one template per input."""
    assert len(row.text) == row.arity, f"{row.name}: give text=(...) with one entry per input"
    inputs = ["x", "y"][: row.arity]
    params = tuple(range(2, 2 + len(row.params)))
    texts = [row.partial_text(a, inputs, "out", params) for a in range(row.arity)]
    assert all(t and "{" not in t and "∂" not in t for t in texts), texts
