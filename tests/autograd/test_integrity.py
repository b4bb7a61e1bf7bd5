"""Nothing silently wrong: backward holds the forward pass's finiteness rule, NaN propagates
through maximum/minimum as in PyTorch, named methods refuse arrays, labels can always be
drawn, and every error names its op."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from autograd import Dual, NumericOverflow, OpError, Value, apply, detect_anomaly, grad, trace
from autograd.errors import _fmt

NAN, INF = float("nan"), float("inf")


def _same(a: float, b: float) -> bool:
    """Equal as floats, NaN equal to NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


# --------------------------------------------------------------------------- backward finiteness


def test_gradient_overflowing_in_backward_is_an_error_naming_the_op():
    x = Value(2.0)
    y = x * 1e300  # finite forward
    text = r"^backward of \*\(2\.0, 1e\+300\): .*input 0 is inf"
    with pytest.raises(NumericOverflow, match=text):
        y.backward(1e300)


def test_failed_backward_restores_every_grad():
    x, c = Value(2.0), Value(1e300)
    y = x * c
    x.grad, c.grad, y.grad = 5.0, 6.0, 7.0  # from an earlier pass
    with pytest.raises(NumericOverflow):
        y.backward(1e300)
    assert (x.grad, c.grad, y.grad) == (5.0, 6.0, 7.0)


@pytest.mark.parametrize("seed", [NAN, INF, -INF])
def test_non_finite_seed_is_refused_before_anything_changes(seed):
    x = Value(2.0)
    y = x * 3.0
    x.grad = 1.0
    with pytest.raises(ValueError, match=r"^backward: the gradient to start from must be finite"):
        y.backward(seed)
    assert x.grad == 1.0 and y.grad == 0.0


def test_infinite_partial_from_finite_inputs_is_an_error_in_grad_too():
    a, b = Value(1e-20), Value(1e-300)
    y = a / b  # 1e280: finite, but d/db = -a/b^2 is not
    text = r"^backward of /\(1e-20, 1e-300\): .*input 1 is -inf"
    with pytest.raises(NumericOverflow, match=text):
        grad(y, [a, b])
    assert a.grad == 0.0 and b.grad == 0.0


def test_accumulating_two_finite_contributions_into_inf_is_an_error():
    x = Value(1.0)
    y = (x * 1.7e308).sin() + (x * 1.7e308).sin()  # each path gives x about 1.37e308
    with pytest.raises(NumericOverflow, match=r"^backward of \*.*adding .* gives inf"):
        y.backward()
    assert x.grad == 0.0


def test_create_graph_gradients_obey_the_same_rule():
    a, b = Value(1e-20), Value(1e-300)
    with pytest.raises(NumericOverflow):
        grad(a / b, [b], create_graph=True)


def test_non_finite_data_gives_non_finite_grads_without_error():
    x, w = Value(INF), Value(2.0)  # the forward pass allows inf in, inf out
    y = (x * w).exp()
    y.backward()
    assert x.grad == INF and w.grad == INF

    n, k = Value(NAN), Value(3.0)
    z = n * k
    z.backward()
    assert k.grad != k.grad and n.grad == 3.0  # d/dk = n is nan; d/dn = k is finite


def test_finite_grads_whose_sum_overflows_are_not_an_error():
    # the quick check sums every grad: 1.5e308 + 1.5e308 overflows, yet no grad is infinite
    x, z = Value(1.0), Value(-1.0)
    y = x * 1.5e308 + z * 1.5e308
    y.backward()
    assert x.grad == 1.5e308 and z.grad == 1.5e308


def test_anomaly_mode_still_reports_the_first_non_finite_contribution():
    with detect_anomaly():
        a, b = Value(1e-20), Value(1e-300)
        y = a / b
        with pytest.raises(OpError, match=r"backward of /"):
            y.backward()


# --------------------------------------------------------------------------- maximum, minimum, NaN


@pytest.mark.parametrize("method", ["maximum", "minimum"])
@pytest.mark.parametrize("a, b", [(2.0, NAN), (NAN, 2.0), (NAN, NAN)])
def test_nan_propagates_from_either_side(method, a, b):
    assert math.isnan(getattr(Value(a), method)(b).data)
    assert math.isnan(getattr(Dual(a), method)(b).data)
    assert math.isnan(getattr(np, method)(a, b))  # the tape's backend agrees


@pytest.mark.parametrize("method", ["maximum", "minimum"])
@pytest.mark.parametrize("a, b", [(2.0, NAN), (NAN, 2.0)])
def test_nan_input_gives_both_inputs_the_whole_gradient_as_torch(method, a, b):
    # torch's maximum_backward: where(a == b, g/2, g) zeroed where a < b; every comparison
    # with NaN is false, so each input keeps g
    x, y = Value(a), Value(b)
    assert grad(getattr(x, method)(y), [x, y]) == [1.0, 1.0]


def test_ties_and_ordered_inputs_keep_their_gradients():
    x, y = Value(1.5), Value(1.5)
    assert grad(x.maximum(y), [x, y]) == [0.5, 0.5]
    x, y = Value(2.0), Value(1.0)
    assert grad(x.maximum(y), [x, y]) == [1.0, 0.0]
    assert grad(x.minimum(y), [x, y]) == [0.0, 1.0]


def test_signed_zero_tie_returns_the_second_input_as_numpy():
    for a, b in [(-0.0, 0.0), (0.0, -0.0)]:
        for method in ("maximum", "minimum"):
            got = getattr(Value(a), method)(b).data
            want = float(getattr(np, method)(a, b))
            assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


def test_replayed_tape_agrees_with_the_scalar_engine_on_nan():
    def f(x, y):
        return x.maximum(y) + x.minimum(y) * 2.0

    tape = trace(f, [1.0, 2.0])
    batch = np.array([[NAN, 2.0], [2.0, NAN], [1.0, 3.0], [3.0, 3.0]])
    out = tape.forward(batch)
    d = tape.backward()
    for s, (a, b) in enumerate(batch):
        x, y = Value(a), Value(b)
        v = f(x, y)
        assert _same(float(out[s]), v.data)
        assert [float(g) for g in d[s]] == grad(v, [x, y])


# --------------------------------------------------------------------------- arrays, named methods


ARRAY = np.array([1.0, 2.0])


@pytest.mark.parametrize("call", [
    lambda v: v.maximum(ARRAY), lambda v: v.minimum(ARRAY), lambda v: v.prelu(ARRAY),
])
@pytest.mark.parametrize("kind", [Value, Dual])
def test_named_methods_refuse_arrays(call, kind):
    with pytest.raises(TypeError, match=r"^(maximum|minimum|prelu): unsupported operand ndarray"):
        call(kind(1.0))


@pytest.mark.parametrize("args", [("+", Value(1.0), ARRAY), ("+", ARRAY, Value(1.0)),
                                  ("maximum", Value(1.0), ARRAY), ("sin", ARRAY)])
def test_apply_refuses_arrays(args):
    with pytest.raises(TypeError, match="unsupported operand ndarray"):
        apply(*args)


def test_operators_still_leave_arrays_to_numpy():
    out = Value(1.0) + ARRAY
    assert isinstance(out, np.ndarray) and [v.data for v in out] == [2.0, 3.0]
    out = ARRAY * Value(3.0)
    assert [v.data for v in out] == [3.0, 6.0]


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize("label, code", [("\x1b[31m", "U+001B"), ("a\x00b", "U+0000"),
                                         ("two\nlines", "U+000A"), ("\x85", "U+0085")])
def test_control_character_in_label_is_refused(label, code):
    text = rf"^Value\(2\.5\): label .* contains a control character \({re.escape(code)}\)"
    with pytest.raises(ValueError, match=text):
        Value(2.5, label=label)


def test_lone_surrogate_in_label_is_refused():
    text = r"^Value\(1\.0\): label '\\ud800x' contains a lone surrogate"
    with pytest.raises(ValueError, match=text):
        Value(1.0, label="\ud800x")


@pytest.mark.parametrize("label", [None, 3, b"x"])
def test_non_str_label_is_a_type_error(label):
    text = rf"^Value\(1\.0\): a label must be a str, got {type(label).__name__}"
    with pytest.raises(TypeError, match=text):
        Value(1.0, label=label)


def test_printable_unicode_labels_are_kept():
    for label in ["x", "w₁", "α β", "👨\u200d👩\u200d👧", ""]:
        assert Value(1.0, label=label).label == label


@pytest.mark.parametrize("label, error", [("\x1b[31m", ValueError), (7, TypeError)])
def test_a_label_assigned_later_is_refused_when_drawn(label, error):
    viz = pytest.importorskip("viz")
    x = Value(2.0, label="x")
    y = (x * 3.0).tanh()
    x.label = label
    with pytest.raises(error, match=r"^viz: "):
        viz.draw_graph(y)
    with pytest.raises(error, match=r"^viz: "):
        viz.step_backward(y).html()


# --------------------------------------------------------------------------- errors name the op


@pytest.mark.parametrize("make, op", [
    (lambda: Value(2) + 10**400, r"\+"),
    (lambda: 10**400 * Value(2), r"\*"),
    (lambda: Value(2).maximum(-(10**400)), "maximum"),
    (lambda: Value(10**400), "Value"),
    (lambda: Dual(1.0) - 10**400, "-"),
])
def test_integer_too_large_for_a_float_names_the_op(make, op):
    text = rf"^{op}\(-?<int with 401 digits>\): this integer is too large for a float"
    with pytest.raises(NumericOverflow, match=text):
        make()


def test_comparison_with_a_huge_integer_is_exact():
    assert Value(2.0) < 10**400 and not Value(2.0) > 10**400


def test_error_messages_format_huge_integers():
    assert _fmt(10**400) == "<int with 401 digits>"
    assert _fmt(-(10**400) + 1) == "-<int with 400 digits>"
    assert _fmt(3) == "3.0"


@pytest.mark.parametrize("make, text", [
    (lambda x: x ** NAN, r"^\*\*: the exponent must be a finite number, got nan"),
    (lambda x: x ** INF, r"^\*\*: the exponent must be a finite number, got inf"),
    (lambda x: x ** -INF, r"^\*\*: the exponent must be a finite number, got -inf"),
    (lambda x: x.softplus(beta=NAN), r"^softplus: beta must be a finite number, got nan"),
    (lambda x: x.softplus(threshold=INF), r"^softplus: threshold must be a finite number"),
    (lambda x: x.hardtanh(-INF, 1.0), r"^hardtanh: min_val must be a finite number"),
    (lambda x: x.elu(alpha=NAN), r"^elu: alpha must be a finite number"),
    (lambda x: x.leaky_relu(INF), r"^leaky_relu: negative_slope must be a finite number"),
    (lambda x: x.binary_cross_entropy(NAN), r"^binary_cross_entropy: target must be a finite"),
])
@pytest.mark.parametrize("kind", [Value, Dual])
def test_non_finite_constant_parameter_is_a_value_error_naming_the_op(make, text, kind):
    with pytest.raises(ValueError, match=text) as info:
        make(kind(0.5))
    assert not isinstance(info.value, OverflowError)


def test_apply_refuses_a_non_finite_parameter():
    with pytest.raises(ValueError, match=r"^apply\('softplus'\): beta must be a finite number"):
        apply("softplus", Value(0.5), params=(NAN, 20.0))


def test_apply_checks_the_number_of_parameters():
    with pytest.raises(TypeError, match=r"^apply: 'softplus' takes 2 parameter\(s\)"):
        apply("softplus", Value(1.0), params=(1.0,))
    with pytest.raises(TypeError, match=r"^apply: 'sin' takes 0 parameter\(s\)"):
        apply("sin", Value(1.0), params=(1.0,))
