"""The rows of the primitive table on numpy arrays: what a tape replays, checked once, here.

A tape evaluates every row with the ``ARRAYS`` backend; these tests check
that each row gives on arrays, sample by sample, the value, partials and
domain it gives on floats (the scalar engine), on each row's input domain
(``test_primitives.TEST_TABLE``). Tracing does not check this again: a row
that fails on arrays is refused when a replay first runs it
(``test_trace.test_ops_without_an_array_rule_are_refused``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_primitives import TEST_TABLE

from autograd import Primitive, Value, apply, grad, trace
from autograd.primitives import ARRAYS, FLOATS, PRIMITIVES

SAMPLES = 5


def same(a: float, b: float, tol: float = 1e-12) -> bool:
    """Equal to rounding where finite; the same inf, or both nan, where not."""
    if math.isfinite(a) and math.isfinite(b):
        return abs(a - b) <= tol + tol * abs(b)
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("name", sorted(TEST_TABLE))
@given(data=st.data())
def test_every_row_gives_the_same_on_arrays_as_on_floats(name, data):
    row, prim = TEST_TABLE[name], PRIMITIVES[name]
    params = data.draw(row.params, label="params")
    samples = [[data.draw(s) for s in row.inputs] for _ in range(SAMPLES)]
    xs = [np.array([[sample[i] for sample in samples]]) for i in range(prim.arity)]
    shape = (1, SAMPLES)
    with np.errstate(all="ignore"):
        out = np.broadcast_to(prim.forward(ARRAYS, *xs, *params), shape)
        ds = [np.broadcast_to(d, shape) for d in prim.partials(ARRAYS, out, *xs, *params)]
        ok = np.broadcast_to(prim.domain(*xs, *params) if prim.domain else True, shape)
    assert len(ds) == prim.arity, name
    for k, sample in enumerate(samples):
        inside = bool(prim.domain(*sample, *params)) if prim.domain else True
        assert bool(ok[0, k]) == inside, (name, sample)
        if not inside:
            continue
        value = prim.forward(FLOATS, *sample, *params)
        assert same(float(out[0, k]), value), (name, sample, out[0, k], value)
        try:
            exact = prim.partials(FLOATS, value, *sample, *params)
        except (ArithmeticError, ValueError):  # an infinite derivative: backward raises there
            continue
        for i, (d, e) in enumerate(zip(ds, exact, strict=True)):
            assert same(float(d[0, k]), float(e)), (name, sample, i, d[0, k], e)


def test_a_row_declared_at_runtime_replays_with_no_change_to_the_tape():
    """The run stage evaluates rows generically, through their functions on ARRAYS."""
    cube = Primitive("cube", 1, lambda m, x: x * x * x, lambda m, out, x: (3.0 * x * x,),
                     text=("3·{0}²",), doc="x^3")
    w = Value(0.5)
    tape = trace(lambda x: apply(cube, x * w).tanh(), [1.0])
    batch = np.array([[0.3], [-1.2], [2.0]])
    values = tape.forward(batch)
    grads = tape.backward()
    for s, (x,) in enumerate(batch.tolist()):
        v = Value(x)
        out = apply(cube, v * Value(0.5)).tanh()
        (g,) = grad(out, [v])
        assert same(float(values[s]), out.data) and same(float(grads[s, 0]), g)
