"""The test table: one row per primitive of ``autograd.primitives.TABLE``, with its reference.

Where each op's inputs are drawn (away from kinks and poles) and which
constant parameters it takes are in the primitive's own row (``sample``,
``kinks``, ``param_samples``), read through ``autograd.testing.arguments``;
the op is applied through the method its row generates
(``autograd.testing.call``). What this table adds is the op's value by an
independent closed form (``REFERENCES``); ``TEST_TABLE`` puts the two
together for other test modules (``test_trace``). One parametrised checker per property runs over
all rows; a primitive without a row fails ``test_every_primitive_has_a_row``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import PRIMITIVES, TABLE, Value, grad, hessian, numeric_gradient
from autograd.testing import arguments, assert_gradients, call, floats_in


def _softplus_ref(x, beta, threshold):
    return x if beta * x > threshold else math.log1p(math.exp(beta * x)) / beta


#: The value of each op by a closed form independent of the engine: reference(*inputs, *params).
REFERENCES: dict[str, Callable[..., float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "neg": lambda a: -a,
    "**": lambda x, c: x**c,
    "pow": math.pow,
    "exp": math.exp,
    "log": math.log,
    "log1p": lambda x: math.log(1 + x),
    "expm1": lambda x: math.exp(x) - 1,
    "sqrt": lambda x: x**0.5,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1),
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: x if x > 0 else 0.0,
    "abs": lambda x: x if x >= 0 else -x,
    "erf": lambda x: 2 / math.sqrt(math.pi) * _integrate_gauss(x),
    "softplus": _softplus_ref,
    "logsigmoid": lambda x: -math.log1p(math.exp(-x)) if x > 0 else x - math.log1p(math.exp(x)),
    "hardtanh": lambda x, lo, hi: min(max(x, lo), hi),
    "hardsigmoid": lambda x: min(max(x + 3, 0), 6) / 6,
    "prelu": lambda x, a: x if x > 0 else a * x,
    "elu": lambda x, a: x if x > 0 else a * (math.exp(x) - 1),
    "bce": lambda p, y: -(y * math.log(p) + (1 - y) * math.log(1 - p)),
    "maximum": max,
    "minimum": min,
}


@dataclass
class Row:
    """One op's test row: how to call it and draw its inputs (from its table row); its reference."""

    call: Callable  # call(*inputs, *params) on Values or Duals
    inputs: list  # one strategy per input
    reference: Callable  # reference(*inputs, *params) on floats
    params: st.SearchStrategy
    kink: Callable | None  # distance of (*inputs, *params) from a non-differentiable point


def _row(name: str, reference: Callable[..., float]) -> Row:
    prim = PRIMITIVES[name]
    return Row(
        call=lambda *args: call(prim, *args),
        inputs=[floats_in(*prim.interval(i)) for i in range(prim.arity)],
        reference=reference,
        params=st.sampled_from(prim.param_samples) if prim.params else st.just(()),
        kink=prim.kink_distance if callable(prim.kinks) or prim.kinks else None,
    )


TEST_TABLE: dict[str, Row] = {name: _row(name, ref) for name, ref in REFERENCES.items()}


def _integrate_gauss(x: float, n: int = 2000) -> float:
    """int_0^x e^(-t^2) dt by Simpson's rule: an erf reference independent of math.erf."""
    h = x / n
    total = 1 + math.exp(-x * x)
    for k in range(1, n):
        total += (4 if k % 2 else 2) * math.exp(-((k * h) ** 2))
    return total * h / 3


def _draw(data, name):
    row = PRIMITIVES[name]
    inputs, params = data.draw(arguments(row), label="inputs, params")
    return params, inputs, lambda *xs: call(row, *xs, *params)


def test_every_primitive_has_a_row():
    assert set(TEST_TABLE) == set(PRIMITIVES), (
        f"rows missing for {set(PRIMITIVES) - set(TEST_TABLE)}, "
        f"rows without a primitive: {set(TEST_TABLE) - set(PRIMITIVES)}"
    )


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_gradients_agree_with_finite_differences(name, data):
    """Reverse mode, forward mode (graph and dual numbers) and central differences agree."""
    _, inputs, f = _draw(data, name)
    assert_gradients(f, inputs)


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_forward_value_matches_closed_form(name, data):
    params, inputs, f = _draw(data, name)
    got = f(*map(Value, inputs))
    assert got.op.startswith(PRIMITIVES[name].name)
    expected = TEST_TABLE[name].reference(*inputs, *params)
    tol = 1e-9 if name == "erf" else 1e-12  # Simpson's rule is good to about 1e-12 relative
    assert abs(got.data - expected) <= tol + tol * abs(expected)


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_second_derivatives_match_differences_of_first(name, data):
    """grad(create_graph=True) differentiated again equals finite differences of grad."""
    _, inputs, f = _draw(data, name)
    h = hessian(f, inputs)

    def first(*xs):
        return grad(f(*xs), list(xs), create_graph=True)

    numeric = numeric_gradient(first, inputs, eps=1e-5)
    for i in range(len(inputs)):
        for j in range(len(inputs)):
            n = numeric[i][j]
            assert abs(h[i, j] - n) <= 1e-4 + 1e-3 * abs(n), (i, j, h[i, j], n)


def test_division_by_negative_numbers():
    """The table samples divisors in (0.1, 10), away from the pole; the rule is the same below 0."""
    for a, b in [(3.0, -2.0), (-1.5, -0.25), (0.0, -7.0)]:
        assert_gradients(lambda x, y: x / y, [a, b])


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
