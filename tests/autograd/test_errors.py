"""Bad input: clear exceptions naming the op and the offending value, and no node changed."""

from __future__ import annotations

import pytest

from autograd import (
    AnomalyError,
    DivisionByZero,
    DomainError,
    NumericOverflow,
    OpError,
    RuleError,
    Value,
    detect_anomaly,
    is_anomaly_enabled,
    topological_order,
)


@pytest.mark.parametrize("bad", ["x", None, [1.0], {}, 1j])
def test_value_of_a_non_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match=rf"Value: expected a real number .*{type(bad).__name__}"):
        Value(bad)


@pytest.mark.parametrize("bad", ["x", None, [1.0]])
@pytest.mark.parametrize(
    "op, symbol",
    [(lambda a, b: a + b, r"\+"), (lambda a, b: b + a, r"\+"), (lambda a, b: a * b, r"\*"),
     (lambda a, b: a - b, "-"), (lambda a, b: b / a, "/"), (lambda a, b: a.maximum(b), "maximum")],
)
def test_non_number_operand_is_a_type_error_naming_op_and_type(op, symbol, bad):
    with pytest.raises(TypeError, match=rf"^{symbol}: .*{type(bad).__name__}"):
        op(Value(1.0), bad)


def test_string_exponent_is_a_type_error():
    with pytest.raises(TypeError, match=r"\*\*: .*str"):
        Value(2.0) ** "2"


@pytest.mark.parametrize(
    "make, error, text",
    [
        (lambda: Value(-1.0).log(), DomainError, r"log\(-1.0\): log needs x > 0"),
        (lambda: Value(0.0).log(), DomainError, r"log\(0.0\)"),
        (lambda: Value(-2.0).sqrt(), DomainError, r"sqrt\(-2.0\): sqrt needs x >= 0"),
        (lambda: Value(-1.0).log1p(), DomainError, r"log1p\(-1.0\)"),
        (lambda: Value(1.0) / 0, DivisionByZero, r"/\(1.0, 0.0\): the divisor must not be 0"),
        (lambda: 1 / Value(0.0), DivisionByZero, r"/\(1.0, 0.0\)"),
        (lambda: Value(0.0) ** -1, DomainError, r"\*\*-1\(0.0\)"),
        (lambda: Value(-8.0) ** (1 / 3), DomainError, r"negative base needs an integer"),
        (lambda: Value(-2.0) ** Value(2.0), DomainError, r"pow\(-2.0, 2.0\): .*x > 0"),
        (lambda: Value(1000.0).exp(), NumericOverflow, r"exp\(1000.0\): result overflows"),
        (lambda: Value(1e200) * 1e200, NumericOverflow, r"\*\(1e\+200, 1e\+200\): finite inputs"),
        (lambda: Value(10.0) ** 400, NumericOverflow, r"\*\*400\(10.0\)"),
    ],
)
def test_bad_numbers_raise_arithmetic_errors_naming_op_and_input(make, error, text):
    with pytest.raises(error, match=text) as info:
        make()
    assert isinstance(info.value, ArithmeticError) and isinstance(info.value, OpError)


def test_error_classes_are_also_the_builtin_ones():
    with pytest.raises(ValueError):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(OverflowError):
        Value(1000.0).exp()


def test_failed_operation_changes_no_existing_node():
    x = Value(-1.0)
    y = x * 2
    y.backward()
    before = [(n.data, n.grad, n._prev) for n in topological_order(y)]
    with pytest.raises(DomainError):
        y.log()
    assert [(n.data, n.grad, n._prev) for n in topological_order(y)] == before


def test_failure_in_backward_restores_every_grad_and_names_the_op():
    x = Value(0.0)
    w = Value(3.0)
    w.grad = 5.0
    y = x.sqrt() * w  # sqrt'(0) is infinite
    with pytest.raises(DivisionByZero, match=r"backward of sqrt\(0.0\): the derivative is not finite"):
        y.backward()
    assert (x.grad, w.grad, y.grad) == (0.0, 5.0, 0.0)


def test_node_with_unknown_op_has_no_rule():
    a = Value(1.0)
    odd = Value(2.0, (a,), "mystery")
    with pytest.raises(RuleError, match="no derivative rule for op 'mystery'"):
        odd.backward()
    assert a.grad == 0.0


def test_non_finite_inputs_propagate_outside_anomaly_mode():
    y = Value(float("inf")) + 1.0
    assert y.data == float("inf")


def test_detect_anomaly_names_op_inputs_and_source_line_in_forward():
    with detect_anomaly():
        assert is_anomaly_enabled()
        x = Value(float("inf"))
        with pytest.raises(AnomalyError) as info:
            x - x  # the line named in the error
    assert not is_anomaly_enabled()
    message = str(info.value)
    assert "-(inf, inf): produced nan" in message
    assert "test_errors.py" in message and "test_detect_anomaly" in message


def test_detect_anomaly_catches_non_finite_gradients_in_backward():
    with detect_anomaly():
        x = Value(1e-200)
        y = x * x * 1e200  # forward is finite (1e-200), backward overflows: 2x * 1e200 * ...
        z = y * 1e300
        w = z * 1e300
    assert w.site is not None and "test_errors.py" in w.site
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"backward of \*") as info:
        w.backward(gradient=1e300)
    assert "node created at" in str(info.value)
    assert x.grad == 0.0


def test_rule_with_the_wrong_number_of_partials_is_named(monkeypatch):
    from autograd import primitives

    monkeypatch.setattr(primitives.OPS["*"], "partials", lambda m, out, a, b: (b,))
    a, b = Value(2.0), Value(3.0)
    with pytest.raises(RuleError, match=r"the rule for '\*' returned the wrong number of partials"):
        (a * b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)
