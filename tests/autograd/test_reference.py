"""The reading engine, ``autograd.reference``, against PyTorch, micrograd and the fast engine (issue 11).

- PyTorch's values and gradients (``test_torch_reference``'s golden numbers,
  same tolerance) for every op ``reference.Value`` has;
- micrograd's two ``test_engine.py`` examples, on both engines;
- random expressions give the same data on both engines, and the same
  gradients up to the order in which a node's incoming gradients are summed;
- a 10,000-node chain backpropagates at the default recursion limit;
- bad operands are TypeErrors naming the op, and bad inputs the table's domain errors.
"""

from __future__ import annotations

import math
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_torch_reference import BINARY, CALL, UNARY, close

import autograd
from autograd import reference
from autograd.errors import DivisionByZero, DomainError
from autograd.testing import expressions

ENGINES = [pytest.param(autograd.Value, id="fast"), pytest.param(reference.Value, id="reference")]

# The rows of test_torch_reference whose op reference.Value has; the rest need the fast engine.
REFERENCE_UNARY = ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh", "sigmoid",
                   "relu", "abs", "erf", "pow2", "pow_half", "pow_m1"]
REFERENCE_BINARY = ["div"]


# --------------------------------------------------------------------------- PyTorch's numbers


@pytest.mark.parametrize("name, x, value, derivative",
                         [(n, *row) for n in REFERENCE_UNARY for row in UNARY[n]])
def test_unary_matches_pytorch(name, x, value, derivative):
    v = reference.Value(x)
    out = CALL[name](v)
    out.backward()
    assert close(out.data, value), (out.data, value)
    assert close(v.grad, derivative), (v.grad, derivative)


@pytest.mark.parametrize("name, a, b, value, da, db",
                         [(n, *row) for n in REFERENCE_BINARY for row in BINARY[n]])
def test_binary_matches_pytorch(name, a, b, value, da, db):
    va, vb = reference.Value(a), reference.Value(b)
    out = CALL[name](va, vb)
    out.backward()
    assert close(out.data, value) and close(va.grad, da) and close(vb.grad, db), (
        out.data, va.grad, vb.grad)


@pytest.mark.parametrize("name", sorted(set(UNARY) - set(REFERENCE_UNARY)))
def test_unary_rows_left_out_are_ops_reference_lacks(name):
    """A new op in reference.py fails here until its PyTorch rows join REFERENCE_UNARY."""
    with pytest.raises(AttributeError):
        CALL[name](reference.Value(0.5))


@pytest.mark.parametrize("name", sorted(set(BINARY) - set(REFERENCE_BINARY)))
def test_binary_rows_left_out_are_ops_reference_lacks(name):
    with pytest.raises((AttributeError, TypeError)):
        CALL[name](reference.Value(0.5), reference.Value(0.25))


# --------------------------------------------------------------------------- micrograd's test_engine.py


@pytest.mark.parametrize("Value", ENGINES)
def test_micrograd_sanity_check(Value):
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


@pytest.mark.parametrize("Value", ENGINES)
def test_micrograd_more_ops(Value):
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
    tol = 1e-6
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.83381924198252) < tol
    assert abs(b.grad - 645.5772594752186) < tol


# --------------------------------------------------------------------------- against the fast engine

# The ops of autograd.testing's expressions that reference.Value has (domains are mapped there).
SHARED_OPS = ["+", "-", "*", "/", "neg", "**", "exp", "log", "log1p", "expm1", "sqrt", "sin",
              "cos", "tanh", "sigmoid", "erf", "relu", "abs"]


@given(expressions(ops=SHARED_OPS, n_inputs=3),
       st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_same_data_and_gradients_as_the_fast_engine(expr, xs):
    """Data is identical. Gradients agree to rounding: the two topological orders may sum
    a node's incoming contributions in a different order (three or more consumers)."""
    fast = [autograd.Value(x) for x in xs]
    ref = [reference.Value(x) for x in xs]
    out_fast, out_ref = expr(*fast), expr(*ref)
    assert out_ref.data == out_fast.data, str(expr)
    out_fast.backward()
    out_ref.backward()
    for f, r in zip(fast, ref, strict=True):
        assert math.isclose(r.grad, f.grad, rel_tol=1e-12, abs_tol=1e-12), (str(expr), r.grad, f.grad)


def test_graph_records_op_and_parents_in_argument_order():
    x, y = reference.Value(2.0), reference.Value(3.0)
    out = x - y
    assert out._op == "-" and out._prev == (x, y)
    square = x * x
    square.backward()
    assert square._prev == (x, x) and x.grad == 4.0
    assert (x**2)._op == "**2"
    const = (2 - x)._prev[0]
    assert const.data == 2.0 and const._prev == () and const._op == ""


def test_long_chain_backward_at_the_default_recursion_limit():
    x = reference.Value(0.5)
    y = x
    for _ in range(10_000):
        y = y + x
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # CPython's default, whatever another test or plugin set
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert y.data == 0.5 * 10_001
    assert x.grad == 10_001.0


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("op, call", [
    ("+", lambda v: v + "1"),
    ("-", lambda v: [1] - v),
    ("*", lambda v: v * None),
    ("/", lambda v: v / "2"),
    ("**", lambda v: v ** reference.Value(2.0)),
])
def test_bad_operands_are_type_errors_naming_the_op(op, call):
    with pytest.raises(TypeError, match="^" + re.escape(op) + ":"):
        call(reference.Value(1.0))


def test_bad_inputs_raise_the_tables_domain_errors():
    with pytest.raises(DomainError, match="log"):
        reference.Value(-1.0).log()
    with pytest.raises(DomainError, match="sqrt"):
        reference.Value(-1.0).sqrt()
    with pytest.raises(DivisionByZero):
        reference.Value(1.0) / 0
    with pytest.raises(TypeError, match="Value"):
        reference.Value("1.0")
