"""The plan stage: grouping and neuron-to-matrix fusion change the speed, not the numbers.

The fused plan turns neurons into matrix products (``autograd.tape.items.
Affine``), the one item whose derivatives are not read from the rows of the
primitive table: W^T g, g X^T and the sum of g are what the ``+`` and ``*``
rows' partials give summed over a neuron. Here it is checked against the
plain plan (``fuse=False``, one row-evaluated step per node) on random
networks: values, input gradients and parameter gradients to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, trace
from autograd.tape.instructions import Input, Param, Step
from autograd.tape.items import Affine, Group

ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "softplus", "leaky_relu"]


def close(a: np.ndarray, b: np.ndarray, tol: float = 1e-12) -> bool:
    return bool(np.all(np.abs(a - b) <= tol + tol * np.abs(b)))


def replay(tape, batch, params):
    for p in params:
        p.grad = 0.0
    values = tape.forward(batch)
    k = len(tape.outputs)
    inputs = tape.backward(np.linspace(-1.0, 1.0, len(batch) * k).reshape(len(batch), k))
    return values, inputs, np.array([p.grad for p in params])


@settings(max_examples=40, deadline=None)
@given(inputs=st.integers(1, 3), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**16),
       n=st.integers(1, 9))
def test_the_fused_affine_equals_the_plain_plan_on_random_networks(inputs, sizes, activation,
                                                                   seed, n):
    model = nn.MLP(inputs, sizes, activation=activation, generator=seed)
    params = model.parameters()
    batch = np.random.default_rng(seed).normal(size=(n, inputs)) * 2.0

    def f(*xs):
        return model(list(xs))

    fused = trace(f, batch[0].tolist())
    plain = trace(f, batch[0].tolist(), fuse=False)
    assert any(isinstance(item, Affine) for item in fused.plan.items)
    assert not any(isinstance(item, Affine) for item in plain.plan.items)
    for got, want in zip(replay(fused, batch, params), replay(plain, batch, params), strict=True):
        assert close(got, want)


def test_a_layer_is_one_matrix_product_and_one_group():
    model = nn.MLP(2, [16, 16, 1], generator=0)
    tape = trace(lambda a, b: model([a, b]), [0.1, 0.2])
    kinds = [type(item).__name__ for item in tape.plan.items]
    assert kinds == ["Affine", "Group", "Affine", "Group", "Affine"]
    assert repr(tape.plan.items[0]) == "Affine(16 x 2 + bias)"
    assert repr(tape.plan.items[1]) == "Group(relu, 16 steps)"
    assert isinstance(tape.plan.items[1], Group) and tape.plan.items[1].k == 16


def test_instructions_are_named_tuples_that_read_well():
    w = Value(2.0)
    tape = trace(lambda x: x * w, [1.0])
    assert tape.instructions[0] == Input(0) and tape.instructions[1] == Param(0)
    step = tape.instructions[2]
    assert isinstance(step, Step) and step.args == (0, 1)
    assert repr(step) == "Step(%2 = *(%0, %1))" and tape.steps == (step,)
    assert [repr(i) for i in tape.instructions[:2]] == ["Input(0)", "Param(0)"]


def test_chunks_of_a_large_batch_give_what_one_chunk_gives(monkeypatch):
    """Forward and backward run chunk by chunk; the answer does not depend on the chunk size."""
    from autograd.tape import run

    model = nn.MLP(2, [5, 1], activation="tanh", generator=3)
    params = model.parameters()
    tape = trace(lambda a, b: model([a, b]), [0.1, 0.2])
    batch = np.random.default_rng(0).normal(size=(50, 2))
    whole = replay(tape, batch, params)
    monkeypatch.setattr(run, "CHUNK", 7)
    chunked = replay(tape, batch, params)
    for got, want in zip(chunked, whole, strict=True):
        assert close(got, want, 1e-13)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_rows_recycling_their_arrays_give_what_fresh_arrays_give(monkeypatch, activation, seed):
    """``Calls`` writes a row's results into the previous replay's arrays: the same numbers."""
    from autograd.tape import run

    model = nn.MLP(2, [4, 1], activation=activation, generator=seed)
    params = model.parameters()
    tape = trace(lambda a, b: model([a, b]), [0.1, 0.2])
    batch = np.random.default_rng(seed).normal(size=(30, 2)) * 3.0
    fresh = replay(tape, batch, params)
    monkeypatch.setattr(run, "RECYCLE", 0)  # every step recycles, however small
    for _ in range(3):  # the first replay makes the arrays, the next ones write into them
        for got, want in zip(replay(tape, batch, params), fresh, strict=True):
            assert np.array_equal(got, want)
    other = batch[::-1] * 0.5  # the same shapes, other numbers: nothing stale is read
    monkeypatch.setattr(run, "RECYCLE", 10**9)
    want_other = replay(tape, other, params)
    monkeypatch.setattr(run, "RECYCLE", 0)
    for got, want in zip(replay(tape, other, params), want_other, strict=True):
        assert np.array_equal(got, want)


def test_a_large_batch_equals_the_plain_plan():
    """Thousands of samples: recycled arrays, and the sums over samples in pieces (Affine)."""
    model = nn.MLP(2, [16, 16, 1], generator=5)
    params = model.parameters()
    batch = np.random.default_rng(5).normal(size=(5000, 2))

    def f(a, b):
        return model([a, b]).tanh()

    fused, plain = trace(f, [0.1, 0.2]), trace(f, [0.1, 0.2], fuse=False)
    want = replay(plain, batch, params)
    for _ in range(2):
        for got, expected in zip(replay(fused, batch, params), want, strict=True):
            assert close(got, expected)


def test_backward_without_the_inputs_gives_the_same_parameter_gradients():
    model = nn.MLP(3, [5, 1], activation="sigmoid", generator=2)
    params = model.parameters()
    tape = trace(lambda a, b, c: model([a, b, c]) * c, [0.1, 0.2, 0.3])
    batch = np.random.default_rng(2).normal(size=(20, 3))
    _, _, with_inputs = replay(tape, batch, params)
    for p in params:
        p.grad = 0.0
    tape.forward(batch)
    assert tape.backward(np.linspace(-1.0, 1.0, 20)[:, None], inputs=False) is None
    assert close(np.array([p.grad for p in params]), with_inputs)
