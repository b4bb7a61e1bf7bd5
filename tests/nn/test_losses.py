"""Losses: ``nn.functional``'s loss functions and penalties, and ``nn.losses``' modules.

One row per loss (and per non-default delta/beta) in ``ROWS``: how to call
it on a batch, its per-element closed form, where its inputs are drawn and
how far they are from its kinks. Over all rows and all three reductions:
gradients against central differences (hypothesis inputs away from kinks)
and values against the closed form. Then PyTorch's own numbers (computed
once with torch; the suite does not import torch), the conventions at
kinks, stability, errors, and the modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, grad, hessian
from autograd.testing import assert_gradients, floats_in
from nn import activations as A
from nn import functional as F
from nn import losses as L

TOL = 1e-12
REDUCTIONS = ["mean", "sum", "none"]
N = 3  # batch size of the property tests


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol + tol * abs(b)


@dataclass
class Row:
    call: Callable  # call(predictions, targets, reduction)
    reference: Callable  # the loss of one element, on floats
    prediction: st.SearchStrategy
    target: st.SearchStrategy
    kink: Callable | None = None  # distance of (p, y) from a kink
    target_grad: bool = True  # the target may be a Value and gets a gradient (as in PyTorch)


def _huber(d: float, delta: float) -> float:
    return 0.5 * d * d if abs(d) < delta else delta * (abs(d) - 0.5 * delta)


def _bce_logits(x: float, y: float) -> float:
    # the textbook stable form max(x, 0) - x y + log(1 + e^-|x|), independent of PyTorch's
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


R = floats_in(-5, 5)
UNIT = floats_in(0, 1)
ROWS: dict[str, Row] = {
    "mse_loss": Row(F.mse_loss, lambda p, y: (p - y) ** 2, R, R),
    "l1_loss": Row(F.l1_loss, lambda p, y: abs(p - y), R, R, kink=lambda p, y: abs(p - y)),
    "huber_loss": Row(F.huber_loss, lambda p, y: _huber(p - y, 1.0), R, R,
                      kink=lambda p, y: abs(abs(p - y) - 1.0)),
    "huber_loss_0p5": Row(lambda p, y, r: F.huber_loss(p, y, reduction=r, delta=0.5),
                          lambda p, y: _huber(p - y, 0.5), R, R,
                          kink=lambda p, y: abs(abs(p - y) - 0.5)),
    "smooth_l1_loss": Row(F.smooth_l1_loss, lambda p, y: _huber(p - y, 1.0), R, R,
                          kink=lambda p, y: abs(abs(p - y) - 1.0)),
    "smooth_l1_loss_2": Row(lambda p, y, r: F.smooth_l1_loss(p, y, reduction=r, beta=2.0),
                            lambda p, y: _huber(p - y, 2.0) / 2.0, R, R,
                            kink=lambda p, y: abs(abs(p - y) - 2.0)),
    "smooth_l1_loss_0": Row(lambda p, y, r: F.smooth_l1_loss(p, y, reduction=r, beta=0.0),
                            lambda p, y: abs(p - y), R, R, kink=lambda p, y: abs(p - y)),
    "binary_cross_entropy": Row(F.binary_cross_entropy,
                                lambda p, y: -(y * math.log(p) + (1 - y) * math.log(1 - p)),
                                floats_in(0.01, 0.99), UNIT, target_grad=False),
    "binary_cross_entropy_with_logits": Row(F.binary_cross_entropy_with_logits, _bce_logits,
                                            floats_in(-20, 20), UNIT),
    "max_margin_loss": Row(F.max_margin_loss, lambda s, y: max(0.0, 1.0 - y * s), R,
                           st.sampled_from([-1.0, 1.0]), kink=lambda s, y: abs(1.0 - y * s),
                           target_grad=False),
}


def _draw(data, row: Row) -> tuple[list[float], list[float]]:
    ps = data.draw(st.lists(row.prediction, min_size=N, max_size=N), label="predictions")
    ys = data.draw(st.lists(row.target, min_size=N, max_size=N), label="targets")
    if row.kink is not None:
        assume(all(row.kink(p, y) > 1e-3 for p, y in zip(ps, ys, strict=True)))
    return ps, ys


def _reduce(losses: list[float], reduction: str):
    if reduction == "none":
        return losses
    return sum(losses) / (len(losses) if reduction == "mean" else 1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_gradient_matches_finite_differences(name, reduction, data):
    row = ROWS[name]
    ps, ys = _draw(data, row)
    if row.target_grad:  # predictions and targets are both inputs
        def f(*v):
            return row.call(list(v[:N]), list(v[N:]), reduction)

        assert_gradients(f, ps + ys, dual=False)
    else:
        assert_gradients(lambda *v: row.call(list(v), ys, reduction), ps, dual=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_value_matches_closed_form(name, reduction, data):
    row = ROWS[name]
    ps, ys = _draw(data, row)
    got = row.call(ps, ys, reduction)
    expected = _reduce([row.reference(p, y) for p, y in zip(ps, ys, strict=True)], reduction)
    if reduction == "none":
        assert all(close(g.data, e) for g, e in zip(got, expected, strict=True))
    else:
        assert close(got.data, expected)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_one_sample_is_a_batch_of_one(name):
    row = ROWS[name]
    p, y = (0.3, 1.0) if name != "binary_cross_entropy" else (0.3, 0.75)
    single = row.call(p, y, "mean")
    assert isinstance(single, Value)
    for reduction in REDUCTIONS:
        one = row.call(p, y, reduction)
        batch = row.call([p], [y], reduction)
        assert one.data == (batch[0] if reduction == "none" else batch).data == single.data


def _ce_reference(logits: list[float], t: int) -> float:
    return math.log(sum(math.exp(x) for x in logits)) - logits[t]


LOGIT_ROW = st.lists(floats_in(-10, 10), min_size=3, max_size=3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(st.lists(LOGIT_ROW, min_size=2, max_size=2),
       st.lists(st.integers(0, 2), min_size=2, max_size=2))
def test_cross_entropy_gradient_and_value(reduction, logits, targets):
    def f(*v):
        return F.cross_entropy([list(v[:3]), list(v[3:])], targets, reduction=reduction)

    assert_gradients(f, logits[0] + logits[1], dual=False)
    expected = _reduce([_ce_reference(x, t) for x, t in zip(logits, targets, strict=True)], reduction)
    got = F.cross_entropy(logits, targets, reduction=reduction)
    if reduction == "none":
        assert all(close(g.data, e, 1e-11) for g, e in zip(got, expected, strict=True))
    else:
        assert close(got.data, expected, 1e-11)


@given(LOGIT_ROW, st.integers(0, 2))
def test_cross_entropy_of_one_sample_is_minus_log_softmax(logits, t):
    loss = F.cross_entropy(logits, t)
    assert close(loss.data, -F.log_softmax(logits)[t].data)
    assert_gradients(lambda *v: F.cross_entropy(list(v), t), logits, dual=False)


@given(st.lists(floats_in(-3, 3, avoid=[0]), min_size=1, max_size=4))
def test_penalties_gradients_and_values(ws):
    assert_gradients(lambda *w: F.l1_penalty(w), ws, dual=False)
    assert_gradients(lambda *w: F.l2_penalty(w), ws, dual=False)
    assert close(F.l1_penalty(ws).data, sum(abs(w) for w in ws))
    assert close(F.l2_penalty(ws).data, sum(w * w for w in ws))


# --- PyTorch's numbers ------------------------------------------------------------------------
# Computed with torch 2.13.0 (CPU) in float64. For LOSSES[(name, reduction)] = (value,
# d/d prediction, d/d target): p = torch.tensor(predictions, requires_grad=True) and y the
# targets (requires_grad=True where the target is differentiable in PyTorch, else None below),
# out = the call in the comment, and the derivatives are torch.autograd.grad(out.sum(), [p, y]).
# max_margin_loss (ours) is torch.relu(1 - y * p) reduced with .mean() / .sum(). Cross-entropy:
# F.cross_entropy(torch.tensor(LOGITS), torch.tensor(TARGETS), reduction=r) and, for one sample,
# F.cross_entropy(torch.tensor(LOGITS[0]), torch.tensor(TARGETS[0])). Penalties:
# w.abs().sum() and w.pow(2).sum() for w = torch.tensor(W).
# binary_cross_entropy's derivative at p = 0, y = 0.3 is -0.3 / eps, eps = 9.999999960041972e-13:
# PyTorch's EPSILON = 1e-12 is a float32 constant.

# fmt: off
P, Y = [0.5, -1.2, 3.0, 2.0, 0.25, -4.0], [1.0, -1.2, 0.5, 3.0, 0.75, 1.0]
PB, YB = [0.1, 0.5, 0.999, 0.0, 1.0, 0.3], [0.0, 1.0, 1.0, 0.3, 1.0, 0.3]
XL, YL = [-1000.0, -2.0, 0.0, 0.5, 30.0, 1000.0], [1.0, 1.0, 0.5, 0.0, 1.0, 0.0]
SCORES, LABELS = [2.0, 0.5, -0.3, 1.0, -1000.0, 1000.0, -1.0], [1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0]
LOSSES: dict[tuple[str, str], tuple] = {
    # F.mse_loss(p, y, reduction=r)
    ('mse_loss', 'mean'): (5.458333333333333,
        [-0.16666666666666666, 0.0, 0.8333333333333333, -0.3333333333333333, -0.16666666666666666, -1.6666666666666665],
        [0.16666666666666666, 0.0, -0.8333333333333333, 0.3333333333333333, 0.16666666666666666, 1.6666666666666665]),
    ('mse_loss', 'sum'): (32.75,
        [-1.0, 0.0, 5.0, -2.0, -1.0, -10.0],
        [1.0, 0.0, -5.0, 2.0, 1.0, 10.0]),
    ('mse_loss', 'none'): ([0.25, 0.0, 6.25, 1.0, 0.25, 25.0],
        [-1.0, 0.0, 5.0, -2.0, -1.0, -10.0],
        [1.0, 0.0, -5.0, 2.0, 1.0, 10.0]),
    # F.l1_loss(p, y, reduction=r)
    ('l1_loss', 'mean'): (1.5833333333333333,
        [-0.16666666666666666, 0.0, 0.16666666666666666, -0.16666666666666666, -0.16666666666666666, -0.16666666666666666],
        [0.16666666666666666, -0.0, -0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666]),
    ('l1_loss', 'sum'): (9.5,
        [-1.0, 0.0, 1.0, -1.0, -1.0, -1.0],
        [1.0, -0.0, -1.0, 1.0, 1.0, 1.0]),
    ('l1_loss', 'none'): ([0.5, 0.0, 2.5, 1.0, 0.5, 5.0],
        [-1.0, 0.0, 1.0, -1.0, -1.0, -1.0],
        [1.0, -0.0, -1.0, 1.0, 1.0, 1.0]),
    # F.huber_loss(p, y, reduction=r)
    ('huber_loss', 'mean'): (1.2083333333333333,
        [-0.08333333333333333, 0.0, 0.16666666666666666, -0.16666666666666666, -0.08333333333333333, -0.16666666666666666],
        [0.08333333333333333, 0.0, -0.16666666666666666, 0.16666666666666666, 0.08333333333333333, 0.16666666666666666]),
    ('huber_loss', 'sum'): (7.25,
        [-0.5, 0.0, 1.0, -1.0, -0.5, -1.0],
        [0.5, 0.0, -1.0, 1.0, 0.5, 1.0]),
    ('huber_loss', 'none'): ([0.125, 0.0, 2.0, 0.5, 0.125, 4.5],
        [-0.5, 0.0, 1.0, -1.0, -0.5, -1.0],
        [0.5, 0.0, -1.0, 1.0, 0.5, 1.0]),
    # F.huber_loss(p, y, reduction=r, delta=0.5)
    ('huber_loss_0p5', 'mean'): (0.6875,
        [-0.08333333333333333, 0.0, 0.08333333333333333, -0.08333333333333333, -0.08333333333333333, -0.08333333333333333],
        [0.08333333333333333, 0.0, -0.08333333333333333, 0.08333333333333333, 0.08333333333333333, 0.08333333333333333]),
    ('huber_loss_0p5', 'sum'): (4.125,
        [-0.5, 0.0, 0.5, -0.5, -0.5, -0.5],
        [0.5, 0.0, -0.5, 0.5, 0.5, 0.5]),
    ('huber_loss_0p5', 'none'): ([0.125, 0.0, 1.125, 0.375, 0.125, 2.375],
        [-0.5, 0.0, 0.5, -0.5, -0.5, -0.5],
        [0.5, 0.0, -0.5, 0.5, 0.5, 0.5]),
    # F.smooth_l1_loss(p, y, reduction=r)
    ('smooth_l1_loss', 'mean'): (1.2083333333333333,
        [-0.08333333333333333, 0.0, 0.16666666666666666, -0.16666666666666666, -0.08333333333333333, -0.16666666666666666],
        [0.08333333333333333, 0.0, -0.16666666666666666, 0.16666666666666666, 0.08333333333333333, 0.16666666666666666]),
    ('smooth_l1_loss', 'sum'): (7.25,
        [-0.5, 0.0, 1.0, -1.0, -0.5, -1.0],
        [0.5, 0.0, -1.0, 1.0, 0.5, 1.0]),
    ('smooth_l1_loss', 'none'): ([0.125, 0.0, 2.0, 0.5, 0.125, 4.5],
        [-0.5, 0.0, 1.0, -1.0, -0.5, -1.0],
        [0.5, 0.0, -1.0, 1.0, 0.5, 1.0]),
    # F.smooth_l1_loss(p, y, reduction=r, beta=2.0)
    ('smooth_l1_loss_2', 'mean'): (0.9791666666666666,
        [-0.041666666666666664, 0.0, 0.16666666666666666, -0.08333333333333333, -0.041666666666666664, -0.16666666666666666],
        [0.041666666666666664, 0.0, -0.16666666666666666, 0.08333333333333333, 0.041666666666666664, 0.16666666666666666]),
    ('smooth_l1_loss_2', 'sum'): (5.875,
        [-0.25, 0.0, 1.0, -0.5, -0.25, -1.0],
        [0.25, 0.0, -1.0, 0.5, 0.25, 1.0]),
    ('smooth_l1_loss_2', 'none'): ([0.0625, 0.0, 1.5, 0.25, 0.0625, 4.0],
        [-0.25, 0.0, 1.0, -0.5, -0.25, -1.0],
        [0.25, 0.0, -1.0, 0.5, 0.25, 1.0]),
    # F.smooth_l1_loss(p, y, reduction=r, beta=0.0)
    ('smooth_l1_loss_0', 'mean'): (1.5833333333333333,
        [-0.16666666666666666, 0.0, 0.16666666666666666, -0.16666666666666666, -0.16666666666666666, -0.16666666666666666],
        [0.16666666666666666, -0.0, -0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666]),
    ('smooth_l1_loss_0', 'sum'): (9.5,
        [-1.0, 0.0, 1.0, -1.0, -1.0, -1.0],
        [1.0, -0.0, -1.0, 1.0, 1.0, 1.0]),
    ('smooth_l1_loss_0', 'none'): ([0.5, 0.0, 2.5, 1.0, 0.5, 5.0],
        [-1.0, 0.0, 1.0, -1.0, -1.0, -1.0],
        [1.0, -0.0, -1.0, 1.0, 1.0, 1.0]),
    # F.binary_cross_entropy(p, y, reduction=r)
    ('binary_cross_entropy', 'mean'): (5.235062083101042,
        [0.18518518518518515, -0.3333333333333333, -0.1668335001668335, -50000000199.79014, 0.0, 0.0],
        None),
    ('binary_cross_entropy', 'sum'): (31.41037249860625,
        [1.111111111111111, -2.0, -1.0010010010010009, -300000001198.74084, 0.0, 0.0],
        None),
    ('binary_cross_entropy', 'none'): ([0.10536051565782631, 0.6931471805599453, 0.0010005003335835344, 30.0, -0.0, 0.6108643020548934],
        [1.111111111111111, -2.0, -1.0010010010010009, -300000001198.74084, 0.0, 0.0],
        None),
    # F.binary_cross_entropy_with_logits(p, y, reduction=r)
    ('binary_cross_entropy_with_logits', 'mean'): (333.96569202929714,
        [-0.16666666666666666, -0.14679951299631375, 0.0, 0.10374322186697577, -1.5580129778906365e-14, 0.16666666666666666],
        [166.66666666666666, 0.3333333333333333, -0.0, -0.08333333333333333, -5.0, -166.66666666666666]),
    ('binary_cross_entropy_with_logits', 'sum'): (2003.794152175783,
        [-1.0, -0.8807970779778824, 0.0, 0.6224593312018546, -9.348077867343818e-14, 1.0],
        [1000.0, 2.0, -0.0, -0.5, -30.0, -1000.0]),
    ('binary_cross_entropy_with_logits', 'none'): ([1000.0, 2.1269280110429727, 0.6931471805599453, 0.9740769841801067, 9.357622968839737e-14, 1000.0],
        [-1.0, -0.8807970779778824, 0.0, 0.6224593312018546, -9.348077867343818e-14, 1.0],
        [1000.0, 2.0, -0.0, -0.5, -30.0, -1000.0]),
    # torch.relu(1 - y * p), reduced
    ('max_margin_loss', 'mean'): (286.1714285714286,
        [-0.0, -0.14285714285714285, 0.14285714285714285, -0.0, -0.14285714285714285, 0.14285714285714285, 0.0],
        None),
    ('max_margin_loss', 'sum'): (2003.2,
        [-0.0, -1.0, 1.0, -0.0, -1.0, 1.0, 0.0],
        None),
    ('max_margin_loss', 'none'): ([0.0, 0.5, 0.7, 0.0, 1001.0, 1001.0, 0.0],
        [-0.0, -1.0, 1.0, -0.0, -1.0, 1.0, 0.0],
        None),
}
LOGITS, TARGETS = [[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0], [0.5, 0.5, -0.5], [-2.0, 0.0, 2.0]], [2, 1, 0, 1]
CROSS_ENTROPY = {
    'mean': (500.8531330992506,
        [[0.02250764329259511, 0.06118211776369941, -0.08368976105629455], [0.25, -0.25, 0.0], [-0.14442030043712045, 0.10557969956287955, 0.0388406008742409], [0.003969059994116693, -0.2206723930434504, 0.21670333304933373]]),
    'sum': (2003.4125323970025,
        [[0.09003057317038043, 0.24472847105479764, -0.3347590442251782], [1.0, -1.0, 0.0], [-0.5776812017484818, 0.4223187982515182, 0.1553624034969636], [0.015876239976466772, -0.8826895721738016, 0.8668133321973349]]),
    'none': ([0.4076059644443804, 2000.0, 0.8619948040582511, 2.1429316284998996],
        [[0.09003057317038043, 0.24472847105479764, -0.3347590442251782], [1.0, -1.0, 0.0], [-0.5776812017484818, 0.4223187982515182, 0.1553624034969636], [0.015876239976466772, -0.8826895721738016, 0.8668133321973349]]),
}
CROSS_ENTROPY_ONE = (0.4076059644443804, [0.09003057317038043, 0.24472847105479764, -0.3347590442251782])
W = [0.5, -1.5, 0.0, 2.0, -0.25]
PENALTIES = {'l1_penalty': (4.25, [1.0, -1.0, 0.0, 1.0, -1.0]), 'l2_penalty': (6.5625, [1.0, -3.0, 0.0, 4.0, -0.5])}
# fmt: on

CASES = {  # name: (predictions, targets) of the LOSSES entries
    "mse_loss": (P, Y), "l1_loss": (P, Y), "huber_loss": (P, Y), "huber_loss_0p5": (P, Y),
    "smooth_l1_loss": (P, Y), "smooth_l1_loss_2": (P, Y), "smooth_l1_loss_0": (P, Y),
    "binary_cross_entropy": (PB, YB), "binary_cross_entropy_with_logits": (XL, YL),
    "max_margin_loss": (SCORES, LABELS),
}


def _total(out):
    return out if isinstance(out, Value) else sum(out[1:], out[0])


def test_every_loss_row_has_golden_numbers():
    assert {name for name, _ in LOSSES} == set(ROWS) == set(CASES)


@pytest.mark.parametrize("name, reduction", sorted(LOSSES))
def test_values_and_gradients_match_pytorch(name, reduction):
    value, d_prediction, d_target = LOSSES[name, reduction]
    predictions, targets = CASES[name]
    ps = [Value(p) for p in predictions]
    ys = [Value(y) for y in targets] if d_target is not None else list(targets)
    out = ROWS[name].call(ps, ys, reduction)
    got = [o.data for o in out] if reduction == "none" else out.data
    assert got == pytest.approx(value, rel=TOL, abs=TOL)
    leaves = ps + (ys if d_target is not None else [])
    expected = d_prediction + (d_target or [])
    assert grad(_total(out), leaves) == pytest.approx(expected, rel=TOL, abs=TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_pytorch(reduction):
    value, d_logits = CROSS_ENTROPY[reduction]
    rows = [[Value(x) for x in row] for row in LOGITS]
    out = F.cross_entropy(rows, TARGETS, reduction=reduction)
    got = [o.data for o in out] if reduction == "none" else out.data
    assert got == pytest.approx(value, rel=TOL, abs=TOL)
    flat = [v for row in rows for v in row]
    expected = [g for row in d_logits for g in row]
    assert grad(_total(out), flat) == pytest.approx(expected, rel=TOL, abs=TOL)


def test_cross_entropy_of_one_sample_matches_pytorch():
    value, d_logits = CROSS_ENTROPY_ONE
    xs = [Value(x) for x in LOGITS[0]]
    out = L.CrossEntropyLoss()(xs, TARGETS[0])
    assert close(out.data, value)
    assert grad(out, xs) == pytest.approx(d_logits, rel=TOL, abs=TOL)


@pytest.mark.parametrize("name", ["l1_penalty", "l2_penalty"])
def test_penalties_match_pytorch(name):
    value, d_w = PENALTIES[name]
    ws = [Value(w) for w in W]
    out = getattr(F, name)(ws)
    assert close(out.data, value)
    assert grad(out, ws) == pytest.approx(d_w, rel=TOL, abs=TOL)


# --- conventions at kinks (PyTorch's) ---------------------------------------------------------


def _grads(f: Callable, *xs: float) -> list[float]:
    vs = [Value(x) for x in xs]
    return grad(f(*vs), vs)


def test_l1_derivative_at_zero_is_zero():
    assert _grads(lambda p, y: F.l1_loss(p, y), 2.0, 2.0) == [0.0, 0.0]
    assert _grads(lambda p: F.smooth_l1_loss(p, 2.0, beta=0.0), 2.0) == [0.0]


@pytest.mark.parametrize("delta", [1.0, 0.5, 3.0])
def test_huber_at_abs_d_equal_to_delta_is_continuous_and_takes_the_linear_branch(delta):
    for d in (delta, -delta):
        loss = F.huber_loss(Value(d), 0.0, delta=delta)
        assert loss.data == 0.5 * delta * delta
        assert _grads(lambda p: F.huber_loss(p, 0.0, delta=delta), d) == [d]
        inside = math.nextafter(d, 0.0)
        assert _grads(lambda p: F.huber_loss(p, 0.0, delta=delta), inside) == [inside]
        # the branch taken shows in the second derivative: 0 at |d| = delta, as in torch 2.13.0
        assert hessian(lambda p: F.huber_loss(p, 0.0, delta=delta), [d])[0, 0] == 0.0
        assert hessian(lambda p: F.huber_loss(p, 0.0, delta=delta), [inside])[0, 0] == 1.0


def test_smooth_l1_at_abs_d_equal_to_beta():
    assert F.smooth_l1_loss(2.0, 0.0, beta=2.0).data == 1.0
    assert _grads(lambda p: F.smooth_l1_loss(p, 0.0, beta=2.0), 2.0) == [1.0]
    assert _grads(lambda p: F.smooth_l1_loss(p, 0.0, beta=2.0), -2.0) == [-1.0]
    assert _grads(lambda p: F.smooth_l1_loss(p, 0.0, beta=2.0), 1.0) == [0.5]
    assert hessian(lambda p: F.smooth_l1_loss(p, 0.0, beta=2.0), [2.0])[0, 0] == 0.0
    assert hessian(lambda p: F.smooth_l1_loss(p, 0.0, beta=2.0), [1.0])[0, 0] == 0.5


def test_huber_and_smooth_l1_agree_for_delta_and_beta_one():
    ps, ys = [0.2, -3.0, 1.5], [0.0, 0.0, 0.7]
    assert F.huber_loss(ps, ys).data == F.smooth_l1_loss(ps, ys).data


def test_max_margin_gradient_is_zero_at_margin_one():
    assert _grads(lambda s: F.max_margin_loss(s, 1), 1.0) == [0.0]
    assert _grads(lambda s: F.max_margin_loss(s, -1), -1.0) == [0.0]
    assert _grads(lambda s: F.max_margin_loss(s, -1), -0.5) == [1.0]


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    assert F.binary_cross_entropy(0.0, 1.0).data == 100.0
    assert F.binary_cross_entropy(1.0, 0.0).data == 100.0
    assert F.binary_cross_entropy([0.0, 1.0], [0.0, 1.0], reduction="sum").data == 0.0


# --- stability --------------------------------------------------------------------------------


def test_binary_cross_entropy_with_logits_is_stable_at_1000():
    assert F.binary_cross_entropy_with_logits(-1000.0, 1.0).data == 1000.0
    assert F.binary_cross_entropy_with_logits(1000.0, 0.0).data == 1000.0
    assert F.binary_cross_entropy_with_logits(1000.0, 1.0).data == 0.0
    assert F.binary_cross_entropy_with_logits(-1000.0, 0.0).data == 0.0
    assert _grads(lambda x: F.binary_cross_entropy_with_logits(x, 1.0), -1000.0) == [-1.0]
    assert _grads(lambda x: F.binary_cross_entropy_with_logits(x, 0.0), 1000.0) == [1.0]


def test_cross_entropy_is_stable_at_1000():
    assert F.cross_entropy([1000.0, -1000.0, 0.0], 1).data == 2000.0
    assert F.cross_entropy([1000.0, -1000.0, 0.0], 0).data == 0.0
    assert F.cross_entropy([-1000.0, -1000.0], 0).data == math.log(2.0)
    assert _grads(lambda a, b: F.cross_entropy([a, b], 1), 1000.0, -1000.0) == [1.0, -1.0]


def test_mse_of_large_errors_is_exact():
    assert F.mse_loss(1000.0, -1000.0).data == 4e6
    assert _grads(lambda p: F.mse_loss(p, -1000.0), 1000.0) == [4000.0]


# --- shapes -----------------------------------------------------------------------------------


def test_reduction_none_keeps_the_shape_of_nested_batches():
    out = F.mse_loss([[1.0, 2.0], [3.0]], [[0.0, 0.0], [1.0]], reduction="none")
    assert [[v.data for v in row] for row in out] == [[1.0, 4.0], [4.0]]
    assert F.mse_loss([[1.0, 2.0], [3.0]], [[0.0, 0.0], [1.0]]).data == 3.0
    assert F.mse_loss([], [], reduction="none") == []


def test_targets_may_be_values_and_get_gradients():
    p, y = Value(1.0), Value(3.0)
    assert grad(F.mse_loss(p, y), [p, y]) == [-4.0, 4.0]
    assert grad(F.binary_cross_entropy_with_logits(p, y), [y]) == [-1.0]


def test_mean_is_sum_over_count():
    ps, ys = [0.5, 1.5, -2.0, 4.0], [0.0, 1.0, 1.0, 2.0]
    for name in ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]:
        fn = getattr(F, name)
        assert fn(ps, ys).data == fn(ps, ys, reduction="sum").data / 4


def test_structural_risk_with_l2_penalty_adds_lambda_w_to_the_gradient():
    w = [Value(0.5), Value(-2.0)]
    lam = 0.1
    loss = F.mse_loss(w[0] * 3.0 + w[1], 1.0)
    risk = loss + lam / 2 * F.l2_penalty(w)
    data_grads = grad(loss, w)
    expected = [g + lam * v.data for g, v in zip(data_grads, w, strict=True)]
    assert grad(risk, w) == pytest.approx(expected, rel=TOL)


def test_penalties_take_a_module_and_empty_lists():
    m = A.PReLU(3, init=-0.5)
    assert F.l1_penalty(m).data == 1.5 and F.l2_penalty(m).data == 0.75
    assert F.l1_penalty([]).data == 0.0 and F.l2_penalty(iter([])).data == 0.0
    m.zero_grad()
    F.l2_penalty(m).backward()
    assert [p.grad for p in m.parameters()] == [-1.0, -1.0, -1.0]


# --- errors -----------------------------------------------------------------------------------

ALL_LOSSES = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "max_margin_loss",
]


@pytest.mark.parametrize("name", [*ALL_LOSSES, "cross_entropy"])
def test_a_bad_reduction_names_the_function_and_the_value(name):
    args = ([0.5, 0.5], 1) if name == "cross_entropy" else (0.5, 1.0)
    message = rf"^{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'"
    with pytest.raises(ValueError, match=message):
        getattr(F, name)(*args, reduction="avg")


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_wrong_inputs_name_the_function_and_the_value(name):
    fn = getattr(F, name)
    with pytest.raises(TypeError, match=rf"^{name}: .*str 'abc'"):
        fn("abc", 1.0)
    with pytest.raises(TypeError, match=rf"^{name}: .*str 'x'"):
        fn([0.5, "x"], [1.0, 1.0])
    with pytest.raises(ValueError, match=rf"^{name}: 3 predictions but 2 targets"):
        fn([0.5, 0.5, 0.5], [1.0, 1.0])
    with pytest.raises(ValueError, match=rf"^{name}: 2 predictions but a single target float 1.0"):
        fn([0.5, 0.5], 1.0)
    with pytest.raises(ValueError, match=rf"^{name}: one prediction but 2 targets"):
        fn(0.5, [1.0, 1.0])
    with pytest.raises(ValueError, match=rf"^{name}: got an empty batch"):
        fn([], [])


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: F.mse_loss(0.5, "1"), TypeError,
     r"^mse_loss: a target must be a number or a Value, got str '1'"),
    (lambda: F.binary_cross_entropy(1.5, 1.0), ValueError,
     r"^binary_cross_entropy: predictions must be probabilities in \[0, 1\], got 1.5"),
    (lambda: F.binary_cross_entropy(0.5, 2.0), ValueError,
     r"^binary_cross_entropy: targets must be in \[0, 1\], got 2.0"),
    (lambda: F.binary_cross_entropy(0.5, Value(1.0)), TypeError,
     r"^binary_cross_entropy: a target must be a number"),
    (lambda: F.max_margin_loss(0.5, 0), ValueError,
     r"^max_margin_loss: labels must be -1 or 1, got int 0"),
    (lambda: F.max_margin_loss(0.5, "1"), TypeError,
     r"^max_margin_loss: a label must be the number -1 or 1, got str '1'"),
    (lambda: F.huber_loss(0.5, 1.0, delta=0.0), ValueError,
     r"^huber_loss: delta must be positive, got 0.0"),
    (lambda: F.huber_loss(0.5, 1.0, delta="1"), TypeError,
     r"^huber_loss: delta must be a real number"),
    (lambda: F.smooth_l1_loss(0.5, 1.0, beta=-1.0), ValueError,
     r"^smooth_l1_loss: beta must be non-negative, got -1.0"),
    (lambda: F.cross_entropy([0.1, 0.2, 0.3], 3), ValueError,
     r"^cross_entropy: class index 3 is out of range for 3 classes \(0..2\)"),
    (lambda: F.cross_entropy([[0.1, 0.2], [0.3, 0.4]], [0, -1]), ValueError,
     r"^cross_entropy: class index -1 is out of range for 2 classes"),
    (lambda: F.cross_entropy([0.1, 0.2], 1.0), TypeError,
     r"^cross_entropy: a target must be an integer class index, got float 1.0"),
    (lambda: F.cross_entropy([0.1, 0.2], True), TypeError,
     r"^cross_entropy: a target must be an integer"),
    (lambda: F.cross_entropy([[0.1, 0.2], [0.3, 0.4]], [0]), ValueError, r"^cross_entropy: 2 samples but 1 targets"),
    (lambda: F.cross_entropy([[0.1, 0.2]], 0), ValueError, r"^cross_entropy: 1 samples but a single target int 0"),
    (lambda: F.cross_entropy([0.1, 0.2], [0, 1]), ValueError,
     r"^cross_entropy: one sample of logits but 2 targets"),
    (lambda: F.cross_entropy([], 0), ValueError, r"^cross_entropy: needs at least one value"),
    (lambda: F.cross_entropy(["a", 0.2], 0), TypeError, r"^cross_entropy: .*str 'a'"),
    (lambda: F.l1_penalty(Value(1.0)), TypeError,
     r"^l1_penalty: expected an iterable of Values or a Module"),
    (lambda: F.l2_penalty(["w"]), TypeError, r"^l2_penalty: .*str 'w'"),
])
def test_bad_arguments_raise_naming_the_function_and_the_value(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- modules ----------------------------------------------------------------------------------

MODULES = [
    (L.MSELoss, F.mse_loss, {}, P, Y, "MSELoss(reduction='mean')"),
    (L.L1Loss, F.l1_loss, {}, P, Y, "L1Loss(reduction='mean')"),
    (L.HuberLoss, F.huber_loss, {"delta": 0.5}, P, Y, "HuberLoss(reduction='mean', delta=0.5)"),
    (L.SmoothL1Loss, F.smooth_l1_loss, {"beta": 2.0}, P, Y,
     "SmoothL1Loss(reduction='mean', beta=2.0)"),
    (L.BCELoss, F.binary_cross_entropy, {}, PB, YB, "BCELoss(reduction='mean')"),
    (L.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, {}, XL, YL,
     "BCEWithLogitsLoss(reduction='mean')"),
    (L.CrossEntropyLoss, F.cross_entropy, {}, LOGITS, TARGETS,
     "CrossEntropyLoss(reduction='mean')"),
    (L.MaxMarginLoss, F.max_margin_loss, {}, SCORES, LABELS, "MaxMarginLoss(reduction='mean')"),
]


@pytest.mark.parametrize("cls, fn, kwargs, predictions, targets, text", MODULES,
                         ids=[m[0].__name__ for m in MODULES])
def test_module_matches_its_function_for_every_reduction(
    cls, fn, kwargs, predictions, targets, text
):
    assert repr(cls(**kwargs)) == text
    assert cls(**kwargs).parameters() == []
    for reduction in REDUCTIONS:
        out = cls(reduction=reduction, **kwargs)(predictions, targets)
        expected = fn(predictions, targets, reduction=reduction, **kwargs)
        if reduction == "none":
            assert [o.data for o in out] == [e.data for e in expected]
        else:
            assert out.data == expected.data


def test_module_defaults_are_pytorchs():
    assert L.HuberLoss().delta == 1.0 and L.SmoothL1Loss().beta == 1.0
    assert L.MSELoss().reduction == "mean"
    assert repr(L.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"


@pytest.mark.parametrize("cls", [m[0] for m in MODULES])
def test_module_with_a_bad_reduction_names_the_class(cls):
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: reduction must be .*got 'total'"):
        cls(reduction="total")


def test_module_bad_parameters():
    with pytest.raises(ValueError, match=r"^HuberLoss: delta must be positive, got -1.0"):
        L.HuberLoss(delta=-1.0)
    with pytest.raises(ValueError, match=r"^SmoothL1Loss: beta must be non-negative, got -0.5"):
        L.SmoothL1Loss(beta=-0.5)
    with pytest.raises(TypeError, match=r"^HuberLoss: delta must be a real number"):
        L.HuberLoss(delta=None)
