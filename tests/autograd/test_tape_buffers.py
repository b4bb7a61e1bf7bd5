"""Speed tricks of the tape that must not change a bit of what it computes.

- ``buffers.Calls`` hands a number beside a block to numpy's ``maximum``
  and ``minimum`` as a kept row of that number, which numpy's loops take
  twice as fast as the number itself: the results are checked bit for bit,
  signed zeros and NaN included (also for ``fmax`` and ``fmin``, which are
  left alone: their ties of zeros depend on the loop).
- ``items.Affine`` says whether a matrix product is finite from the sum of
  its squares (one BLAS pass): elements too large to square must not be
  taken for an overflow, and a real overflow must still raise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import NumericOverflow, Value, trace
from autograd.tape.buffers import Calls
from autograd.tape.items import Affine

EXTREMA = [np.maximum, np.minimum, np.fmax, np.fmin]
NUMBERS = [0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan]


def bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a).view(np.int64).ravel().tolist()


def block() -> np.ndarray:
    """A (3, 40) block holding both zeros, NaN, infinities and ordinary numbers."""
    special = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, -2.0, 1e-300]
    rng = np.random.default_rng(0)
    values = np.concatenate([special * 5, rng.normal(size=120 - 40)])
    return rng.permutation(values).reshape(3, 40)


@pytest.mark.parametrize("ufunc", EXTREMA, ids=lambda u: u.__name__)
@pytest.mark.parametrize("number", NUMBERS)
def test_an_extremum_with_a_number_gives_numpys_bits_first_and_recycled(ufunc, number):
    x = block()
    calls = Calls()
    for _ in range(3):  # the first call makes the arrays, the next ones write into them
        (view,) = calls.begin(x)
        assert bits(ufunc(view, number)) == bits(ufunc(x, number))
        assert bits(ufunc(number, view)) == bits(ufunc(number, x))
    rows = list(calls.rows.values())
    if math.isnan(number) or ufunc in (np.fmax, np.fmin):  # NaN is never found again; fmax and
        assert rows == []  # fmin give the sign of a tied zero by loop (see the next test)
    else:
        assert len(rows) == 1 and rows[0].shape == (40,)
        assert bits(rows[0]) == bits(np.full(40, number))


@pytest.mark.parametrize("ufunc", EXTREMA, ids=lambda u: u.__name__)
def test_ties_of_zeros_keep_numpys_signs_at_every_width(ufunc):
    """Widths that are not a multiple of the vector length, so that elements fall in the
    loops' leftovers: with AVX-512, numpy's fmax and fmin of 0.0 and -0.0 give another
    zero for a row than for the number (maximum and minimum give the same)."""
    calls = Calls()
    for width in range(1, 18):
        for number in (0.0, -0.0):
            x = np.zeros((2, width))
            x[:, ::2] = -0.0
            for _ in range(2):  # the first call makes the arrays, the second writes into them
                (view,) = calls.begin(x)
                assert bits(ufunc(view, number)) == bits(ufunc(x, number)), (width, number)
                assert bits(ufunc(number, view)) == bits(ufunc(number, x)), (width, number)


def test_plus_and_minus_zero_are_kept_as_two_rows():
    """-0.0 == 0.0, but maximum(-0.0, 0.0) and maximum(-0.0, -0.0) differ in their sign bit."""
    x = np.array([[-0.0, 0.0, -1.0, 1.0]] * 2)
    calls = Calls()
    for number in (0.0, -0.0, 0.0):
        (view,) = calls.begin(x)
        assert bits(np.maximum(view, number)) == bits(np.maximum(x, number))
    assert len(calls.rows) == 2


def test_batches_of_many_sizes_keep_one_row_per_number():
    """A row is as wide as the block; a new batch size replaces it rather than adding one."""
    calls = Calls()
    for width in range(1, 60):
        x = np.linspace(-1.0, 1.0, 2 * width).reshape(2, width)
        for _ in range(2):  # a size's first evaluation makes the arrays, the second recycles
            (view,) = calls.begin(x)
            assert bits(np.maximum(view, 0.0)) == bits(np.maximum(x, 0.0))
            assert bits(np.minimum(view, 0.5)) == bits(np.minimum(x, 0.5))
        assert sorted(len(row) for row in calls.rows.values()) == [width, width]


def test_a_block_that_is_not_contiguous_is_given_the_number_itself():
    x = block()[:, ::2]
    calls = Calls()
    (view,) = calls.begin(x)
    assert bits(np.maximum(view, 0.0)) == bits(np.maximum(x, 0.0))
    assert calls.rows == {}


@pytest.mark.parametrize("activation",
                         ["relu", "hardtanh", "elu", "softplus", "hardsigmoid", "logsigmoid"])
def test_activations_written_with_extrema_replay_the_same_bits_recycled(monkeypatch, activation):
    """Rows with m.maximum / m.minimum against a number: recycled (the numbers as rows) and
    fresh (the numbers as they are) give the same bits, and the scalar engine's values."""
    from autograd.tape import run

    model = nn.MLP(2, [6, 6, 1], activation=activation, generator=4)
    tape = trace(lambda a, b: model([a, b]), [0.1, 0.2])
    batch = np.random.default_rng(4).normal(size=(25, 2)) * 4.0
    batch[:3] = [[0.0, -0.0], [-0.0, -0.0], [0.0, 0.0]]
    monkeypatch.setattr(run, "RECYCLE", 10**9)  # no step recycles
    fresh = bits(tape.forward(batch))
    monkeypatch.setattr(run, "RECYCLE", 0)  # every step recycles, however small
    for _ in range(3):
        assert bits(tape.forward(batch)) == fresh
    want = [model([Value(a), Value(b)]).data for a, b in batch.tolist()]
    assert np.allclose(tape.forward(batch), want, rtol=1e-13, atol=1e-15)


def test_products_too_large_to_square_are_not_taken_for_overflow(monkeypatch):
    """Outputs of about 1e200: their squares overflow, the outputs do not (and no sample is
    computed again one step at a time, as a product that is not finite would be)."""
    from autograd.tape import checks

    def settle_sums(*args):
        raise AssertionError("a finite product was settled sample by sample")

    monkeypatch.setattr(checks, "settle_sums", settle_sums)
    w = [Value(1e190), Value(-3e189)]
    b = Value(2e199)

    def neuron(x, y):
        return w[0] * x + w[1] * y + b

    tape = trace(neuron, [1.0, 2.0])
    assert any(isinstance(item, Affine) for item in tape.plan.items)
    batch = np.random.default_rng(1).uniform(1.0, 9.0, size=(50, 2))
    got = tape.forward(batch)
    want = [neuron(Value(x), Value(y)).data for x, y in batch.tolist()]
    assert np.allclose(got, want, rtol=1e-12) and np.isfinite(got).all()


def test_a_product_that_overflows_still_raises_naming_the_sample():
    w = [Value(1e300), Value(1e300)]
    tape = trace(lambda x, y: w[0] * x + w[1] * y, [1.0, 2.0])
    assert any(isinstance(item, Affine) for item in tape.plan.items)
    with pytest.raises(NumericOverflow, match=r"sample 2"):
        tape.forward([[1.0, -1.0], [1e-10, 1e-10], [1e8, 1e8]])


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_a_block_of_another_dtype_keeps_numpys_result_dtype(dtype):
    """A float64 row beside a float32 block would make float64: such blocks get the number."""
    x = (block()[:, :8] > 0) if dtype is np.bool_ else np.arange(24).reshape(3, 8).astype(dtype)
    calls = Calls()
    (view,) = calls.begin(x)
    got, want = np.maximum(view, 0.5), np.maximum(x, 0.5)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert calls.rows == {}
