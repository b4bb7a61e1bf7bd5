"""A primitive added as one row of the table, at run time, works everywhere.

The fixture registers ``tan`` (``autograd.primitives.register``) and nothing
else: no method, backend function, strategy or whitelist entry is written by
hand. Each test checks one consumer of the table against ``math.tan`` and
its derivative 1/cos² x: ``Value.tan()``, ``Dual``, second derivatives
(``create_graph=True``), a traced tape replayed on a numpy batch,
``gradcheck``, the hypothesis strategies of ``autograd.testing``, the
command line and the stepper's formula text. Afterwards the row is removed
and everything generated from it goes with it (the elementary function ``m.tan``
stays on the backends, for the nodes and tapes the row made).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import viz
from autograd import Dual, Primitive, Value, grad, gradcheck, hessian, jvp, trace
from autograd import testing as agt
from autograd.primitives import ARRAYS, FLOATS, OPS, PRIMITIVES, TABLE, VALUES, register, unregister
from viz.cli import build_parser, main
from viz.expression import functions, parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HALF_PI = math.pi / 2

#: The new row, as a newcomer would write it in autograd/primitives.py.
TAN = Primitive(
    "tan", 1, lambda m, x: m.tan(x), lambda m, out, x: (1.0 + out * out,),
    domain=lambda x: (x > -HALF_PI) & (x < HALF_PI), domain_text="tan needs -π/2 < x < π/2",
    text=("1 + {out}²",), sample=((-1.4, 1.4),),
    doc="tangent on (-π/2, π/2); d/dx = 1/cos² x = 1 + tan² x = 1 + out²",
)


def dtan(x: float) -> float:
    return 1.0 / math.cos(x) ** 2


def close(a: float, b: float, rtol: float = 1e-12, atol: float = 1e-12) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def generated() -> dict[str, bool]:
    """Where the row leaves a trace, and whether it is there."""
    import autograd.scalar

    return {
        "TABLE": TAN in TABLE,
        "PRIMITIVES": "tan" in PRIMITIVES,
        "OPS": "tan" in OPS,
        "Scalar.tan": hasattr(autograd.scalar.Scalar, "tan"),
        "Value.tan": "tan" in vars(Value),
        "testing.OPS": "tan" in agt.OPS,
        "cli": "tan" in functions(),
    }


@pytest.fixture(scope="module", autouse=True)
def tan_row() -> Iterator[Primitive]:
    assert not any(generated().values()), generated()
    register(TAN)
    yield TAN
    unregister("tan")
    left = [where for where, present in generated().items() if present]
    assert not left, f"unregister left the row in {left}"


def test_value_method_matches_math_tan():
    x = Value(0.3)
    y = x.tan()
    assert y.op == "tan" and y._prev == (x,)
    assert y.data == math.tan(0.3)
    y.backward()
    assert close(x.grad, dtan(0.3))
    assert Value.tan.__doc__ and "1 + out²" in Value.tan.__doc__


def test_domain_is_checked_before_the_forward_function():
    from autograd import DomainError

    with pytest.raises(DomainError, match="tan needs"):
        Value(2.0).tan()


def test_dual_numbers_carry_the_tangent():
    d = Dual(0.3, 2.0).tan()
    assert d.data == math.tan(0.3) and close(d.tangent, 2.0 * dtan(0.3))
    value, slope = jvp(lambda x: x.tan() * x, [0.7], [1.0])
    assert close(value, math.tan(0.7) * 0.7)
    assert close(slope, dtan(0.7) * 0.7 + math.tan(0.7))


def test_second_derivative_through_create_graph():
    x = Value(0.4)
    (g,) = grad(x.tan(), [x], create_graph=True)
    assert isinstance(g, Value) and close(g.data, dtan(0.4))
    (h,) = grad(g, [x])
    assert close(h, 2.0 * math.tan(0.4) * dtan(0.4), rtol=1e-10)  # d/dx sec² x = 2 tan x sec² x
    assert close(hessian(lambda v: v.tan(), [0.4])[0, 0], h, rtol=1e-10)


def test_backends_resolve_the_elementary_function():
    assert FLOATS.tan(0.5) == math.tan(0.5)
    assert np.allclose(ARRAYS.tan(np.array([0.1, 0.5])), np.tan([0.1, 0.5]))
    x = Value(0.5)
    assert VALUES.tan(x).op == "tan" and VALUES.tan(0.5) == math.tan(0.5)


def test_replayed_tape_matches_the_scalar_engine_on_a_batch():
    def f(x, y):
        return (x * y).tan() + x

    tape = trace(f, [0.3, 0.5])
    batch = np.array([[0.3, 0.5], [-0.9, 1.1], [1.2, 0.2], [0.0, -1.0]])
    values = tape.forward(batch)
    d_inputs = tape.backward()
    for (x, y), value, (dx, dy) in zip(batch, values, d_inputs, strict=True):
        assert close(value, math.tan(x * y) + x)
        assert close(dx, y * dtan(x * y) + 1.0)
        assert close(dy, x * dtan(x * y))


def test_gradcheck_passes():
    assert gradcheck(lambda x, y: (x * y).tan(), [0.6, -0.8])


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_testing_strategies_draw_the_row(data):
    inputs, params = data.draw(agt.arguments("tan"))
    assert params == () and -1.4 <= inputs[0] <= 1.4
    agt.assert_gradients(lambda x: agt.call(TAN, x), inputs)
    expr = data.draw(agt.expressions(ops=["tan", "+", "*"], n_inputs=1, max_steps=4))
    x = data.draw(agt.floats_in(-2, 2))
    out = expr(Value(x))
    assert math.isfinite(out.data)


def test_random_expressions_apply_tan_inside_its_interval():
    expr = agt.Expression(1, (("tan", (0,)),))
    c, r = agt._into(-1.4, 1.4)
    for x in (-5.0, 0.25, 3.0):
        assert close(expr(Value(x)).data, math.tan(c + r * math.tanh(x)))


def test_expression_parser_and_cli_see_the_row(tmp_path, capsys):
    root = parse("tan(x) * 2", {"x": 0.3})
    assert close(root.data, 2 * math.tan(0.3))
    assert "tan" in build_parser().epilog
    assert main(["tan(x)", "x=0.3", "--backward", "-o", str(tmp_path / "g.dot")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"tan(x) = {math.tan(0.3)!r}"
    assert close(float(lines[1].split(" = ")[1]), dtan(0.3))


def test_cli_in_a_new_process(tmp_path):
    """``python -m viz "tan(x)" x=0.3`` in a process that registered the row first."""
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); from test_new_row import TAN; "
            "from autograd.primitives import register; register(TAN); "
            "from viz.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run(
        [sys.executable, "-c", code, os.path.dirname(os.path.abspath(__file__)),
         "tan(x)", "x=0.3", "--backward", "-o", "g.dot"],
        check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    value, slope = result.stdout.splitlines()[:2]
    assert value == f"tan(x) = {math.tan(0.3)!r}"
    assert close(float(slope.split(" = ")[1]), dtan(0.3))
    assert (tmp_path / "g.dot").exists()


def test_stepper_reads_the_rows_formula():
    x = Value(0.3, label="x")
    y = x.tan()
    y.label = "y"
    step = viz.step_backward(y).steps[1]
    assert step.text.startswith("x.grad += (1 + y²) * y.grad = ")
    assert close(float(step.text.split(" = ")[-1]), dtan(0.3), rtol=1e-5)  # printed to 6 digits


def test_a_second_row_comes_and_goes_without_a_trace():
    atan = Primitive("atan", 1, lambda m, x: m.atan(x), lambda m, out, x: (1.0 / (1.0 + x * x),),
                     text=("1/(1 + {0}²)",), doc="arctangent; d/dx = 1/(1 + x²)")
    register(atan)
    try:
        with pytest.raises(ValueError, match="already"):
            register(atan)
        assert close(Value(0.5).atan().data, math.atan(0.5))
        assert "atan" in functions() and "atan" in agt.OPS
    finally:
        unregister("atan")
    assert not hasattr(Value, "atan") and not hasattr(Dual(1.0), "atan")
    assert "atan" not in functions() and "atan" not in agt.OPS and "atan" not in PRIMITIVES
    assert FLOATS.atan is math.atan  # stays: nodes and tapes made by the row still call it


def test_a_row_whose_method_name_is_taken_is_refused():
    clash = Primitive("tanh2", 1, lambda m, x: m.tanh(x), lambda m, out, x: (1.0 - out * out,),
                      methods=("tanh",))
    with pytest.raises(ValueError, match="belongs to the row 'tanh'"):
        register(clash)
    assert "tanh2" not in PRIMITIVES
