"""gradcheck and autograd.testing: they pass on right derivatives and catch wrong ones."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given

from autograd import GradcheckError, Value, gradcheck, primitives
from autograd.testing import Expression, assert_gradients, expressions, floats_in


def test_gradcheck_passes_on_correct_derivatives():
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2])
    assert gradcheck(lambda x: [x * x, x.sin()], [0.7], dual=True)


def test_gradcheck_catches_a_deliberately_wrong_derivative(monkeypatch):
    sin = primitives.OPS["sin"]
    monkeypatch.setattr(sin, "partials", lambda m, out, x: (-m.cos(x),))  # sign error
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x.sin() * 2, [0.5])
    message = str(info.value)
    assert "disagree with central differences" in message
    assert "analytic" in message and "numeric" in message and "diff" in message
    assert "reverse" in message and "forward" in message
    assert "-1.755165" in message and "1.755165" in message  # -2cos(0.5) against 2cos(0.5)
    assert gradcheck(lambda x: x.sin(), [0.5], raise_exception=False) is False


def test_assert_gradients_is_a_plain_assertion_and_checks_dual_numbers(monkeypatch):
    exp = primitives.OPS["exp"]
    monkeypatch.setattr(exp, "partials", lambda m, out, x: (out * 1.01,))
    with pytest.raises(AssertionError, match="dual"):
        assert_gradients(lambda x: x.exp(), [1.0])


def test_a_users_own_op_can_be_property_tested():
    def swish(x):  # x * sigmoid(x), written by a user
        return x * x.sigmoid()

    @given(floats_in(-10, 10))
    def check(x):
        assert_gradients(swish, [x])

    check()


@given(expressions(max_depth=6), floats_in(-2, 2), floats_in(-2, 2))
def test_random_expressions_agree_in_every_mode(expr, x, y):
    """Composed graphs up to depth 6, with fan-out and reuse, over every primitive."""
    assume(expr.kink_distance([x, y]) > 1e-3)
    assert_gradients(expr, [x, y], rtol=1e-4, atol=1e-5)


@given(expressions(ops=["+", "*", "-"], max_steps=6), floats_in(-2, 2), floats_in(-2, 2))
def test_polynomial_expressions_have_exact_second_derivatives(expr, x, y):
    from autograd import grad, hessian, numeric_gradient

    h = hessian(expr, [x, y])
    numeric = numeric_gradient(lambda a, b: grad(expr(a, b), [a, b], create_graph=True), [x, y],
                               eps=1e-4)
    for i in range(2):
        for j in range(2):
            assert abs(h[i, j] - numeric[i][j]) <= 1e-4 * (1 + abs(numeric[i][j]))


def test_expressions_reuse_nodes_and_print_readably():
    e = Expression(2, (("*", (0, 0)), ("+", (2, 1)), ("tanh", (3,))))
    assert str(e) == "tanh(+(*(x0, x0), x1))"
    x = Value(0.5)
    assert e(x, Value(1.0)).data == math.tanh(1.25)
    assert e.kink_distance([0.5, 1.0]) == float("inf")
    with pytest.raises(ValueError):
        e(x)


def test_checks_leave_the_users_nodes_as_they_found_them():
    """gradcheck and numeric_gradient read a model's parameters without writing to them."""
    from autograd import numeric_gradient

    w, b = Value(0.7, label="w"), Value(-0.2, label="b")
    w.grad, b.grad = 3.0, -1.0  # gradients the user accumulated before checking

    def f(x):
        return (w * x + b).tanh()

    assert gradcheck(f, [0.4])
    numeric_gradient(f, [0.4])
    assert (w.grad, b.grad) == (3.0, -1.0)
    assert w.tangent is None and b.tangent is None  # no forward-mode trace left behind
