"""Learning-rate schedulers (``nn.optim.lr_scheduler``).

Each scheduler's sequence is checked against its closed form written out
here, and against *golden* sequences from real PyTorch: the constants below
were computed with torch 2.13.0 (CPU, float64) by the same calls (create the
scheduler, then ``optimizer.step(); scheduler.step()`` each epoch) and are
compared to 1e-12. ``ReduceLROnPlateau`` also has small cases derived by
hand, one per rule (patience, cooldown, threshold modes, min_lr, eps, max).
"""

import json
import math
from bisect import bisect_right

import pytest

from autograd import Value
from nn.optim import SGD, Adagrad, Adam
from nn.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(b))


def assert_rates_close(got, want):
    assert len(got) == len(want)
    for epoch, (g, w) in enumerate(zip(got, want, strict=True)):
        assert len(g) == len(w)
        assert all(close(a, b) for a, b in zip(g, w, strict=True)), f"epoch {epoch}: {g} != {w}"


def optimizer_with(lrs):
    """An SGD optimizer with one parameter group per learning rate."""
    return SGD([{"params": [Value(0.0)], "lr": lr} for lr in lrs])


def stepped(opt, scheduler, epochs, earlier=()):
    """The rates now and after each of ``epochs`` epochs' optimizer.step(); scheduler.step().

    ``earlier``: schedulers chained on the same optimizer, stepped (in order) before ``scheduler``.
    """
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        for first in earlier:
            first.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def rates(make, lrs, epochs=12):
    """The rates after construction and after each epoch's optimizer.step(); scheduler.step()."""
    opt = optimizer_with(lrs)
    return stepped(opt, make(opt), epochs)


def resumed_through_json(make, new_optimizer, at, epochs):
    """The rates of a scheduler stepped ``at`` epochs, saved with its optimizer through JSON,
    loaded into fresh ones and stepped ``epochs`` more (from its rate at ``at`` on)."""
    opt = new_optimizer()
    scheduler = make(opt)
    stepped(opt, scheduler, at)
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    saved = json.loads(json.dumps(scheduler.state_dict()))
    opt2 = new_optimizer()
    resumed = make(opt2)
    opt2.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    return stepped(opt2, resumed, epochs)


def plateau_rates(kwargs, lrs, metrics):
    opt = optimizer_with(lrs)
    scheduler = ReduceLROnPlateau(opt, **kwargs)
    out = []
    for metric in metrics:
        opt.step()
        scheduler.step(metric)
        out.append(scheduler.get_last_lr())
    return out


# --- golden values: computed with torch 2.13.0 (CPU, float64) ---------------------------------
# SCHEDULER_GOLDEN: each group's lr after construction and after each epoch, for
#   StepLR(step_size=3, gamma=0.5), lr 0.1
#   MultiStepLR(milestones=[8, 2, 5, 5], gamma=0.3), lr 0.1
#   ExponentialLR(gamma=0.9), two groups with lr 0.1 and 0.03
#   chained: StepLR(step_size=2, gamma=0.5) and then ExponentialLR(gamma=0.9) on one optimizer
#   *_resumed: lr 0.05, initial_lr 0.1, created with last_epoch=4 (StepLR step_size=3,
#     gamma=0.5; ExponentialLR gamma=0.5), 6 epochs
# PLATEAU_GOLDEN rows: (kwargs, initial lrs, metrics, lrs after each step(metric))

SCHEDULER_GOLDEN = {
    "StepLR": [
        [0.1],
        [0.1],
        [0.1],
        [0.05],
        [0.05],
        [0.05],
        [0.025],
        [0.025],
        [0.025],
        [0.0125],
        [0.0125],
        [0.0125],
        [0.00625],
    ],
    "MultiStepLR": [
        [0.1],
        [0.1],
        [0.03],
        [0.03],
        [0.03],
        [0.0026999999999999997],
        [0.0026999999999999997],
        [0.0026999999999999997],
        [0.0008099999999999998],
        [0.0008099999999999998],
        [0.0008099999999999998],
        [0.0008099999999999998],
        [0.0008099999999999998],
    ],
    "ExponentialLR": [
        [0.1, 0.03],
        [0.09000000000000001, 0.027],
        [0.08100000000000002, 0.0243],
        [0.07290000000000002, 0.02187],
        [0.06561000000000002, 0.019683000000000003],
        [0.05904900000000002, 0.017714700000000003],
        [0.05314410000000002, 0.015943230000000003],
        [0.04782969000000002, 0.014348907000000003],
        [0.043046721000000024, 0.012914016300000003],
        [0.03874204890000002, 0.011622614670000003],
        [0.03486784401000002, 0.010460353203000003],
        [0.03138105960900001, 0.009414317882700002],
        [0.028242953648100012, 0.008472886094430003],
    ],
    "chained": [
        [0.1],
        [0.09000000000000001],
        [0.04050000000000001],
        [0.03645000000000001],
        [0.016402500000000004],
        [0.014762250000000005],
        [0.0066430125000000026],
        [0.005978711250000003],
        [0.0026904200625000015],
        [0.0024213780562500013],
        [0.0010896201253125005],
        [0.0009806581127812504],
        [0.0004412961507515627],
    ],
    "StepLR_resumed": [
        [0.05],
        [0.025],
        [0.025],
        [0.025],
        [0.0125],
        [0.0125],
        [0.0125],
    ],
    "ExponentialLR_resumed": [
        [0.05],
        [0.025],
        [0.0125],
        [0.00625],
        [0.003125],
        [0.0015625],
        [0.00078125],
    ],
}
PLATEAU_GOLDEN = [
    (
        {"factor": 0.5, "patience": 2},
        [0.1],
        [1.0, 0.9, 0.9, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7],
        [
            [0.1], [0.1], [0.1], [0.1], [0.05], [0.05], [0.05], [0.05], [0.025], [0.025], [0.025],
            [0.025], [0.0125], [0.0125],
        ],
    ),
    (
        {
            "mode": "max",
            "threshold_mode": "abs",
            "threshold": 0.05,
            "patience": 1,
            "cooldown": 2,
            "factor": 0.3,
        },
        [0.1],
        [0.1, 0.2, 0.22, 0.23, 0.24, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48],
        [
            [0.1], [0.1], [0.1], [0.03], [0.03], [0.03], [0.03], [0.009], [0.009], [0.009], [0.009],
            [0.009], [0.009], [0.0026999999999999997],
        ],
    ),
    (
        {"factor": 0.1, "patience": 0, "min_lr": [0.01, 0.002]},
        [0.1, 0.01],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [
            [0.1, 0.01], [0.010000000000000002, 0.002], [0.010000000000000002, 0.002],
            [0.010000000000000002, 0.002], [0.010000000000000002, 0.002],
            [0.010000000000000002, 0.002], [0.010000000000000002, 0.002],
            [0.010000000000000002, 0.002],
        ],
    ),
    (
        {"factor": 0.1, "patience": 0},
        [2e-08],
        [1.0, 1.0, 1.0, 1.0, 1.0],
        [[2e-08], [2e-09], [2e-09], [2e-09], [2e-09]],
    ),
    (
        {"factor": 0.5, "patience": 0, "eps": 1e-07},
        [1e-06],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [[1e-06], [5e-07], [2.5e-07], [1.25e-07], [1.25e-07], [1.25e-07], [1.25e-07], [1.25e-07]],
    ),
    (
        {"patience": 1},
        [0.1],
        [1.0, 0.99995, 0.9999, 0.99985, 0.9997, 0.99965, 0.9996, 0.99955, 0.9994],
        [
            [0.1], [0.1], [0.010000000000000002], [0.010000000000000002], [0.010000000000000002],
            [0.010000000000000002], [0.010000000000000002], [0.010000000000000002],
            [0.010000000000000002],
        ],
    ),
    (
        {"mode": "max", "threshold": 0.1, "patience": 0, "cooldown": 1, "factor": 0.5},
        [0.1],
        [-1.0, -0.95, -0.5, -0.5, -0.46, -0.4, -0.3, -0.3, -0.25, -0.1, -0.1, 0.0, 0.0],
        [
            [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1],
            [0.05],
        ],
    ),
    (
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 3, "cooldown": 1, "min_lr": 0.03},
        [0.1],
        [
            5.0, 4.95, 4.92, 4.91, 4.9, 4.89, 4.5, 4.45, 4.44, 4.43, 4.42, 4.41, 4.4, 4.39, 4.38,
            4.37, 4.36,
        ],
        [
            [0.1], [0.1], [0.1], [0.1], [0.03], [0.03], [0.03], [0.03], [0.03], [0.03], [0.03],
            [0.03], [0.03], [0.03], [0.03], [0.03], [0.03],
        ],
    ),
    (
        {"mode": "max", "patience": 1, "factor": 0.5},
        [0.1],
        [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7],
        [[0.1], [0.1], [0.1], [0.05], [0.05], [0.05], [0.025], [0.025]],
    ),
]


# --- StepLR, MultiStepLR, ExponentialLR -------------------------------------------------------


def test_step_lr_matches_pytorch_and_its_closed_form():
    got = rates(lambda o: StepLR(o, step_size=3, gamma=0.5), [0.1])
    assert_rates_close(got, SCHEDULER_GOLDEN["StepLR"])
    got = rates(lambda o: StepLR(o, step_size=4, gamma=0.3), [0.1, 0.7], epochs=30)
    want = [[lr0 * 0.3 ** (e // 4) for lr0 in (0.1, 0.7)] for e in range(31)]
    assert_rates_close(got, want)


def test_multistep_lr_matches_pytorch_and_its_closed_form():
    milestones = [8, 2, 5, 5]  # unsorted, with a repeat: 5 counts twice
    got = rates(lambda o: MultiStepLR(o, milestones, gamma=0.3), [0.1])
    assert_rates_close(got, SCHEDULER_GOLDEN["MultiStepLR"])
    want = [[0.1 * 0.3 ** bisect_right(sorted(milestones), e)] for e in range(13)]
    assert_rates_close(got, want)


def test_exponential_lr_matches_pytorch_and_its_closed_form():
    got = rates(lambda o: ExponentialLR(o, gamma=0.9), [0.1, 0.03])
    assert_rates_close(got, SCHEDULER_GOLDEN["ExponentialLR"])
    assert_rates_close(got, [[0.1 * 0.9**e, 0.03 * 0.9**e] for e in range(13)])


def test_chained_schedulers_compose_like_pytorch():
    opt = optimizer_with([0.1])
    first, second = StepLR(opt, step_size=2, gamma=0.5), ExponentialLR(opt, gamma=0.9)
    got = stepped(opt, second, 12, earlier=(first,))
    assert_rates_close(got, SCHEDULER_GOLDEN["chained"])
    assert_rates_close(got, [[0.1 * 0.5 ** (e // 2) * 0.9**e] for e in range(13)])
    assert first.base_lrs == second.base_lrs == [0.1]  # the second kept the first's initial_lr


def test_construction_records_initial_lr_and_takes_the_first_step():
    opt = optimizer_with([0.1, 0.2])
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    assert scheduler.last_epoch == 0
    assert scheduler.base_lrs == [0.1, 0.2]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert [g["lr"] for g in opt.param_groups] == scheduler.get_last_lr() == [0.1, 0.2]
    scheduler.step()
    assert scheduler.last_epoch == 1
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.1]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]


def test_get_last_lr_is_a_copy():
    scheduler = ExponentialLR(optimizer_with([0.1]), gamma=0.5)
    scheduler.get_last_lr()[0] = 99.0
    assert scheduler.get_last_lr() == [0.1]


@pytest.mark.parametrize(
    ("key", "make"),
    [
        ("StepLR_resumed", lambda o: StepLR(o, step_size=3, gamma=0.5, last_epoch=4)),
        ("ExponentialLR_resumed", lambda o: ExponentialLR(o, gamma=0.5, last_epoch=4)),
    ],
)
def test_resuming_with_last_epoch_matches_pytorch(key, make):
    opt = optimizer_with([0.05])
    opt.param_groups[0]["initial_lr"] = 0.1
    scheduler = make(opt)
    assert scheduler.last_epoch == 5
    got = [scheduler.get_last_lr()]
    for _ in range(6):
        opt.step()
        scheduler.step()
        got.append(scheduler.get_last_lr())
    assert_rates_close(got, SCHEDULER_GOLDEN[key])


def test_resuming_without_initial_lr_is_a_key_error():
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        StepLR(optimizer_with([0.1]), step_size=2, last_epoch=3)


def test_the_optimizer_steps_with_the_scheduled_rate():
    p = Value(0.0)
    opt = SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    for epoch in range(6):
        before = p.data
        p.grad = 1.0
        opt.step()
        assert p.data == before - 0.5 ** (epoch // 2)
        scheduler.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda o: StepLR(o, step_size=3, gamma=0.5),
        lambda o: MultiStepLR(o, [2, 5, 5, 8], gamma=0.3),
        lambda o: ExponentialLR(o, gamma=0.9),
    ],
    ids=["StepLR", "MultiStepLR", "ExponentialLR"],
)
def test_state_dict_through_json_resumes_identically(make):
    straight = rates(make, [0.1, 0.02])
    got = resumed_through_json(make, lambda: optimizer_with([0.1, 0.02]), 5, 7)
    assert got == straight[5:]


def test_multistep_state_dict_keeps_repeated_milestones():
    scheduler = MultiStepLR(optimizer_with([0.1]), [5, 2, 5])
    saved = json.loads(json.dumps(scheduler.state_dict()))
    assert saved["milestones"] == [2, 5, 5]
    other = MultiStepLR(optimizer_with([0.1]), [1])
    other.load_state_dict(saved)
    assert other.milestones == scheduler.milestones


def test_load_state_dict_refuses_unknown_keys():
    scheduler = StepLR(optimizer_with([0.1]), step_size=2)
    with pytest.raises(ValueError, match=r"unexpected keys \['bogus'\]"):
        scheduler.load_state_dict({**scheduler.state_dict(), "bogus": 1})
    with pytest.raises(TypeError, match="expected a dict"):
        scheduler.load_state_dict([("last_epoch", 3)])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "StepLR: invalid step_size=0"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "StepLR: step_size must be an int"),
        (lambda o: StepLR(o, step_size=2, gamma="0.1"), TypeError, "gamma must be a real"),
        (lambda o: MultiStepLR(o, [1, "a"]), TypeError, "milestone must be an int"),
        (lambda o: MultiStepLR(o, 3), TypeError, "milestones must be a list"),
        (lambda o: ExponentialLR(o, gamma=math.nan), ValueError, "invalid gamma=nan"),
        (lambda o: ExponentialLR(o, gamma=0.9, last_epoch=-2), ValueError, "last_epoch=-2"),
        (lambda o: StepLR([0.1], step_size=2), TypeError, "expected an Optimizer, got list"),
    ],
)
def test_bad_scheduler_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(optimizer_with([0.1]))


def test_base_scheduler_needs_get_lr():
    with pytest.raises(NotImplementedError, match="LRScheduler does not define get_lr"):
        LRScheduler(optimizer_with([0.1]))


# --- ReduceLROnPlateau ------------------------------------------------------------------------


@pytest.mark.parametrize("case", PLATEAU_GOLDEN, ids=lambda case: str(case[0]))
def test_reduce_on_plateau_matches_pytorch(case):
    kwargs, lrs, metrics, want = case
    assert_rates_close(plateau_rates(kwargs, lrs, metrics), want)


@pytest.mark.parametrize(
    ("kwargs", "metrics", "want"),
    [
        # the first metric sets best; three bad epochs are more than patience=2: cut at the 4th
        ({"patience": 2}, [1, 1, 1, 1, 1], [0.1, 0.1, 0.1, 0.01, 0.01]),
        # an improvement resets the count of bad epochs
        ({"patience": 1}, [3, 3, 2, 2, 2], [0.1, 0.1, 0.1, 0.1, 0.01]),
        # cooldown=2: the two epochs after a cut count no bad epochs
        ({"patience": 0, "cooldown": 2}, [1] * 7, [0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]),
        # rel: 9.5 is no improvement on 10 by more than 10%, so a cut
        ({"patience": 0, "threshold": 0.1}, [10, 9.5], [0.1, 0.01]),
        # abs: 9.5 is better than 10 - 0.1, so no cut; 9.45 is not better than 9.5 - 0.1
        ({"patience": 0, "threshold": 0.1, "threshold_mode": "abs"}, [10, 9.5, 9.45],
         [0.1, 0.1, 0.01]),
        # max: higher is better
        ({"mode": "max", "patience": 0}, [1, 2, 3, 2], [0.1, 0.1, 0.1, 0.01]),
        ({"mode": "max", "patience": 0, "threshold": 0.5, "threshold_mode": "abs"}, [1, 1.4],
         [0.1, 0.01]),
        # min_lr is a floor
        ({"patience": 0, "factor": 0.1, "min_lr": 0.05}, [1, 1, 1], [0.1, 0.05, 0.05]),
        # factor
        ({"patience": 0, "factor": 0.5}, [1, 1, 1], [0.1, 0.05, 0.025]),
    ],
)
def test_reduce_on_plateau_rules(kwargs, metrics, want):
    assert_rates_close(plateau_rates(kwargs, [0.1], metrics), [[lr] for lr in want])


def test_reduce_on_plateau_ignores_cuts_smaller_than_eps():
    assert plateau_rates({"patience": 0, "factor": 0.5}, [1.5e-8], [1, 1, 1]) == [
        [1.5e-8], [1.5e-8], [1.5e-8]]  # 1.5e-8 - 0.75e-8 is not more than eps=1e-8
    assert plateau_rates({"patience": 0, "factor": 0.5, "eps": 1e-9}, [1.5e-8], [1, 1]) == [
        [1.5e-8], [0.75e-8]]


def test_reduce_on_plateau_per_group_min_lr_and_value_metrics():
    opt = optimizer_with([0.1, 0.01])
    scheduler = ReduceLROnPlateau(opt, patience=0, min_lr=[0.05, 0.0])
    assert scheduler.get_last_lr() == [0.1, 0.01]
    assert "initial_lr" not in opt.param_groups[0]  # no first step, as in PyTorch
    scheduler.step(Value(2.0))
    scheduler.step(Value(2.0))
    assert scheduler.get_last_lr() == [0.05, 0.001]
    assert scheduler.last_epoch == 2


def test_reduce_on_plateau_with_a_group_added_later():
    opt = optimizer_with([0.1])
    scheduler = ReduceLROnPlateau(opt, patience=0, min_lr=0.02)
    opt.add_param_group({"params": [Value(1.0)], "lr": 0.03})
    scheduler.step(1.0)
    scheduler.step(1.0)
    assert scheduler.get_last_lr() == [0.02, 0.02]
    opt = optimizer_with([0.1])
    scheduler = ReduceLROnPlateau(opt, patience=0, min_lr=[0.02])
    opt.add_param_group({"params": [Value(1.0)]})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match="2 parameter groups but min_lr gave 1"):
        scheduler.step(1.0)


def test_reduce_on_plateau_state_dict_through_json_resumes_identically():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7]
    kwargs = {"factor": 0.5, "patience": 1, "cooldown": 1}
    straight = plateau_rates(kwargs, [0.1], metrics)
    opt = optimizer_with([0.1])
    scheduler = ReduceLROnPlateau(opt, **kwargs)
    for m in metrics[:6]:
        scheduler.step(m)
    saved = json.loads(json.dumps(scheduler.state_dict()))  # best may be inf: Python's JSON
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    opt2 = optimizer_with([0.1])
    resumed = ReduceLROnPlateau(opt2)
    opt2.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    got = []
    for m in metrics[6:]:
        resumed.step(m)
        got.append(resumed.get_last_lr())
    assert got == straight[6:]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"factor": 1.0}, ValueError, "ReduceLROnPlateau: invalid factor=1.0"),
        ({"mode": "avg"}, ValueError, "mode must be 'min' or 'max', got 'avg'"),
        ({"threshold_mode": "pct"}, ValueError, "threshold_mode must be 'rel' or 'abs'"),
        ({"min_lr": [0.1, 0.2]}, ValueError, "expected 1 min_lrs"),
        ({"patience": -1}, ValueError, "invalid patience=-1"),
        ({"cooldown": 0.5}, TypeError, "cooldown must be an int"),
    ],
)
def test_reduce_on_plateau_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ReduceLROnPlateau(optimizer_with([0.1]), **kwargs)


def test_reduce_on_plateau_bad_metric_and_optimizer():
    with pytest.raises(TypeError, match="the metric must be a number, got str"):
        ReduceLROnPlateau(optimizer_with([0.1])).step("0.5")
    with pytest.raises(TypeError, match="ReduceLROnPlateau: expected an Optimizer"):
        ReduceLROnPlateau(None)


def test_schedulers_work_with_any_optimizer():
    opt = Adam([Value(1.0)], lr=0.01)
    scheduler = ExponentialLR(opt, gamma=0.5)
    opt.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.005
    assert opt.state_dict()["param_groups"][0]["initial_lr"] == 0.01


# --- LambdaLR, LinearLR, CosineAnnealingLR, OneCycleLR ------------------------------------------
# Golden values: tests/reference/torch_idioms.py, torch 2.13.0 (CPU, float64), made by the same
# calls as ``rates`` (``*_resumed``: lr 0.05, initial_lr 0.1, created with last_epoch=4, six
# epochs, as ``resumed`` below). ONECYCLE_GOLDEN rows: (optimizer, OneCycleLR kwargs, initial
# lrs, optimizer kwargs, lrs after construction and after each of total_steps steps, and each
# group's momentum (SGD) or beta1 (Adam) at the same times).

MORE_SCHEDULER_GOLDEN = {
    "LambdaLR": [
        [0.1], [0.095], [0.09025], [0.0857375], [0.081450625], [0.07737809374999999],
        [0.07350918906249998], [0.06983372960937498], [0.06634204312890622], [0.0630249409724609],
        [0.05987369392383787], [0.05688000922764597], [0.05403600876626367],
    ],
    "LambdaLR_per_group": [
        [0.1, 0.0075], [0.05, 0.015], [0.03333333333333333, 0.0225], [0.025, 0.03],
        [0.020000000000000004, 0.03], [0.016666666666666666, 0.03], [0.014285714285714285, 0.03],
        [0.0125, 0.03], [0.011111111111111112, 0.03], [0.010000000000000002, 0.03],
        [0.009090909090909092, 0.03], [0.008333333333333333, 0.03], [0.007692307692307693, 0.03],
    ],
    "LinearLR": [
        [0.03333333333333333], [0.04666666666666667], [0.060000000000000005], [0.07333333333333335],
        [0.08666666666666668], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1],
    ],
    "LinearLR_down": [
        [0.1, 0.5], [0.08857142857142858, 0.44285714285714284],
        [0.07714285714285715, 0.3857142857142857], [0.06571428571428573, 0.32857142857142857],
        [0.0542857142857143, 0.2714285714285714], [0.042857142857142864, 0.21428571428571427],
        [0.03142857142857144, 0.15714285714285714], [0.02, 0.09999999999999998],
        [0.02, 0.09999999999999998], [0.02, 0.09999999999999998], [0.02, 0.09999999999999998],
        [0.02, 0.09999999999999998], [0.02, 0.09999999999999998],
    ],
    "LinearLR_resumed": [
        [0.05], [0.05384615384615385], [0.057692307692307696], [0.06153846153846154],
        [0.06153846153846154], [0.06153846153846154], [0.06153846153846154],
    ],
    "CosineAnnealingLR": [
        [0.1], [0.09045084971874738], [0.06545084971874737], [0.03454915028125263],
        [0.009549150281252633], [0.0], [0.009549150281252628], [0.03454915028125265],
        [0.06545084971874741], [0.09045084971874744], [0.10000000000000006], [0.09045084971874746],
        [0.06545084971874743], [0.03454915028125267], [0.009549150281252644], [0.0],
        [0.009549150281252628], [0.03454915028125265], [0.06545084971874743], [0.09045084971874746],
        [0.10000000000000013], [0.0904508497187475], [0.06545084971874758],
    ],
    "CosineAnnealingLR_eta_min": [
        [0.1, 0.05], [0.08681980515339464, 0.044142135623730955], [0.05500000000000001, 0.03],
        [0.023180194846605363, 0.01585786437626905], [0.01, 0.01],
        [0.023180194846605363, 0.01585786437626905], [0.05500000000000002, 0.030000000000000006],
        [0.08681980515339469, 0.04414213562373097], [0.10000000000000006, 0.050000000000000024],
        [0.0868198051533947, 0.044142135623730976], [0.05500000000000005, 0.03000000000000002],
        [0.023180194846605412, 0.01585786437626907], [0.01, 0.01],
        [0.023180194846605363, 0.01585786437626905], [0.054999999999999924, 0.029999999999999964],
    ],
    "CosineAnnealingLR_resumed": [
        [0.05], [0.001], [0.007631742512670284], [0.025750000000000002], [0.05050000000000004],
        [0.07525000000000008], [0.0933682574873298],
    ],
    "chained_Linear_Cosine": [
        [0.025], [0.04267936129395649], [0.056531781074217115], [0.06450377587438173],
        [0.06545084971874739], [0.05000000000000001], [0.03454915028125264], [0.020610737385376353],
        [0.009549150281252635], [0.002447174185242324], [0.0], [0.0024471741852423235],
        [0.009549150281252666],
    ],
}
ONECYCLE_GOLDEN = [
    (
        "SGD",
        {"max_lr": 1.0, "total_steps": 10},
        [0.1], {"momentum": 0.9},
        [
            [0.040000000000000036], [0.52], [1.0], [0.9504846320134737], [0.8117456539497631],
            [0.6112620219362893], [0.38874197806371075], [0.18825834605023697],
            [0.049519367986526286], [4e-06], [0.04951936798652623],
        ],
        [
            [0.95], [0.8999999999999999], [0.85], [0.854951556604879], [0.8688255099070633],
            [0.8888739533021842], [0.9111260466978157], [0.9311744900929366], [0.945048443395121],
            [0.95], [0.945048443395121],
        ],
    ),
    (
        "SGD",
        {
            "max_lr": [0.5, 0.2], "epochs": 3, "steps_per_epoch": 4, "pct_start": 0.25,
            "anneal_strategy": "linear", "div_factor": 10.0, "final_div_factor": 100.0,
        },
        [0.1, 0.1], {"momentum": 0.9},
        [
            [0.05, 0.02], [0.275, 0.11000000000000001], [0.5, 0.2], [0.4445, 0.1778],
            [0.389, 0.15560000000000002], [0.3335, 0.13340000000000002],
            [0.278, 0.11120000000000001], [0.22249999999999998, 0.08900000000000001],
            [0.16700000000000004, 0.06680000000000003], [0.11149999999999999, 0.0446],
            [0.05600000000000005, 0.022400000000000003],
            [0.0005000000000000004, 0.00020000000000000573],
            [-0.05500000000000005, -0.021999999999999992],
        ],
        [
            [0.95, 0.95], [0.8999999999999999, 0.8999999999999999], [0.85, 0.85],
            [0.861111111111111, 0.861111111111111], [0.8722222222222222, 0.8722222222222222],
            [0.8833333333333333, 0.8833333333333333], [0.8944444444444444, 0.8944444444444444],
            [0.9055555555555556, 0.9055555555555556], [0.9166666666666666, 0.9166666666666666],
            [0.9277777777777777, 0.9277777777777777], [0.9388888888888889, 0.9388888888888889],
            [0.95, 0.95], [0.961111111111111, 0.961111111111111],
        ],
    ),
    (
        "SGD",
        {"max_lr": 0.3, "total_steps": 16, "three_phase": True, "cycle_momentum": False},
        [0.1], {},
        [
            [0.01200000000000001], [0.058471453685893265], [0.16789142574801585],
            [0.2696362333530806], [0.298036027689992], [0.23476053476962944], [0.12065008985172491],
            [0.029355779826265558], [0.011913704092540042], [0.010971160789673508],
            [0.009146129116973257], [0.006762630707789425], [0.004243839066003464],
            [0.002036948064493546], [0.0005337757947654181], [1.2e-06], [0.0005337757947654174],
        ],
        [
            [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0], [0],
        ],
    ),
    (
        "Adam",
        {
            "max_lr": 0.01, "total_steps": 12, "base_momentum": 0.8, "max_momentum": 0.9,
            "pct_start": 0.4,
        },
        [0.1], {},
        [
            [0.0003999999999999993], [0.0019490484561964418], [0.005596380858267192],
            [0.008987874445102689], [0.009980973566564766], [0.00933012969841412],
            [0.007867890710226505], [0.0058682574153710995], [0.0037059299508683005],
            [0.001786094807319497], [0.00046849919097249215], [4e-08], [0.00046849919097249047],
        ],
        [
            [0.9], [0.8838640785812871], [0.8458710327263834], [0.8105429745301803],
            [0.8001902650954128], [0.8066987298107781], [0.8213211781824477], [0.8413175911166535],
            [0.862940952255126], [0.8821393804843269], [0.8953153893518325], [0.9],
            [0.8953153893518325],
        ],
    ),
]


class Warmup:
    """A callable object with state: LambdaLR saves and restores its attributes, as PyTorch."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


def resumed(make, epochs=6):
    opt = optimizer_with([0.05])
    opt.param_groups[0]["initial_lr"] = 0.1
    scheduler = make(opt)
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def linear_closed_form(lr0, s, f, total, e):
    return lr0 * (s + (f - s) * min(e, total) / total)


def cosine_closed_form(lr0, eta_min, t_max, e):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2


MORE_CASES = {
    "LambdaLR": (lambda o: LambdaLR(o, lambda e: 0.95**e), [0.1], 12,
                 lambda lr0, e: lr0 * 0.95**e),
    "LambdaLR_per_group": (lambda o: LambdaLR(o, [lambda e: 1 / (e + 1), Warmup(4)]),
                           [0.1, 0.03], 12, None),
    "LinearLR": (lambda o: LinearLR(o), [0.1], 12,
                 lambda lr0, e: linear_closed_form(lr0, 1 / 3, 1.0, 5, e)),
    "LinearLR_down": (lambda o: LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=7),
                      [0.1, 0.5], 12, lambda lr0, e: linear_closed_form(lr0, 1.0, 0.2, 7, e)),
    "CosineAnnealingLR": (lambda o: CosineAnnealingLR(o, T_max=5), [0.1], 22,
                          lambda lr0, e: cosine_closed_form(lr0, 0.0, 5, e)),
    "CosineAnnealingLR_eta_min": (lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.01),
                                  [0.1, 0.05], 14,
                                  lambda lr0, e: cosine_closed_form(lr0, 0.01, 4, e)),
}


@pytest.mark.parametrize("key", list(MORE_CASES))
def test_more_schedulers_match_pytorch_and_their_closed_forms(key):
    make, lrs, epochs, closed_form = MORE_CASES[key]
    got = rates(make, lrs, epochs=epochs)
    assert_rates_close(got, MORE_SCHEDULER_GOLDEN[key])
    if closed_form is not None:
        assert_rates_close(got, [[closed_form(lr0, e) for lr0 in lrs] for e in range(epochs + 1)])


@pytest.mark.parametrize(
    ("key", "make"),
    [
        ("LinearLR_resumed", lambda o: LinearLR(o, start_factor=0.5, total_iters=8, last_epoch=4)),
        ("CosineAnnealingLR_resumed",
         lambda o: CosineAnnealingLR(o, T_max=6, eta_min=0.001, last_epoch=4)),
    ],
)
def test_more_schedulers_resume_with_last_epoch_as_pytorch(key, make):
    assert_rates_close(resumed(make), MORE_SCHEDULER_GOLDEN[key])


def test_linear_then_cosine_chain_like_pytorch():
    opt = optimizer_with([0.1])
    first, second = LinearLR(opt, start_factor=0.25, total_iters=4), CosineAnnealingLR(opt, T_max=10)
    got = stepped(opt, second, 12, earlier=(first,))
    assert_rates_close(got, MORE_SCHEDULER_GOLDEN["chained_Linear_Cosine"])


def one_cycle_run(case):
    name, kwargs, lrs, opt_kwargs = case[:4]
    cls = {"SGD": SGD, "Adam": Adam}[name]
    opt = cls([{"params": [Value(0.0)], "lr": lr} for lr in lrs], **opt_kwargs)
    scheduler = OneCycleLR(opt, **kwargs)

    def momenta():
        return [g["betas"][0] if name == "Adam" else g["momentum"] for g in opt.param_groups]

    got, moments = [scheduler.get_last_lr()], [momenta()]
    for _ in range(scheduler.total_steps):
        opt.step()
        scheduler.step()
        got.append(scheduler.get_last_lr())
        moments.append(momenta())
    return got, moments, scheduler


@pytest.mark.parametrize("case", ONECYCLE_GOLDEN, ids=lambda case: str(case[1]))
def test_one_cycle_rates_and_momenta_match_pytorch(case):
    want, want_moments = case[4], case[5]
    got, moments, _ = one_cycle_run(case)
    assert_rates_close(moments, want_moments)
    if min(want[-1]) < 0:  # PyTorch's extrapolation past the cycle went negative: ours stops at 0
        assert got[-1] == [max(lr, 0.0) for lr in want[-1]] and 0.0 in got[-1]
        got, want = got[:-1], want[:-1]
    assert_rates_close(got, want)


def test_one_cycle_covers_a_negative_extrapolation_and_records_its_keys_in_the_groups():
    assert any(min(case[4][-1]) < 0 for case in ONECYCLE_GOLDEN)
    _, _, scheduler = one_cycle_run(ONECYCLE_GOLDEN[0])
    group = scheduler.optimizer.param_groups[0]
    assert (group["initial_lr"], group["max_lr"], group["min_lr"]) == (1.0 / 25, 1.0, 1.0 / 25 / 1e4)
    assert (group["max_momentum"], group["base_momentum"]) == (0.95, 0.85)
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 11 times, but the cycle has "
                                         "total_steps=10"):
        scheduler.step()
    assert scheduler.last_epoch == 10 and scheduler.get_last_lr() == [group["lr"]]


def test_one_cycle_clamps_an_extrapolated_beta_below_one():
    opt = Adam([Value(0.0)])
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="linear",
                           base_momentum=0.5, max_momentum=0.99)
    for _ in range(10):
        opt.step()
        scheduler.step()
    assert opt.param_groups[0]["betas"][0] == 0.99  # PyTorch: 0.5 + 0.49 * 10 / 9 > 1


@pytest.mark.parametrize(
    "make",
    [
        lambda o: LambdaLR(o, [lambda e: 1 / (e + 1), Warmup(4)]),
        lambda o: LinearLR(o, start_factor=0.2, total_iters=6),
        lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.001),
        lambda o: OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=12, three_phase=True),
    ],
    ids=["LambdaLR", "LinearLR", "CosineAnnealingLR", "OneCycleLR"],
)
def test_more_schedulers_resume_identically_through_json(make):
    def optimizer():
        return SGD([{"params": [Value(1.0)], "lr": 0.1}, {"params": [Value(2.0)], "lr": 0.02}],
                   momentum=0.9)

    opt = optimizer()
    straight = stepped(opt, make(opt), 10)
    assert resumed_through_json(make, optimizer, 4, 6) == straight[4:]


def test_lambda_lr_saves_the_attributes_of_callable_objects_not_functions():
    warmup = Warmup(4)
    scheduler = LambdaLR(optimizer_with([0.1, 0.2]), [lambda e: 1.0, warmup])
    warmup.steps = 8
    saved = json.loads(json.dumps(scheduler.state_dict()))
    assert saved["lr_lambdas"] == [None, {"steps": 8}]
    other_warmup = Warmup(4)
    other = LambdaLR(optimizer_with([0.1, 0.2]), [lambda e: 1.0, other_warmup])
    other.load_state_dict(saved)
    assert other_warmup.steps == 8
    with pytest.raises(ValueError, match="lr_lambdas must be a list of 2 entries"):
        other.load_state_dict({**saved, "lr_lambdas": [None]})
    with pytest.raises(ValueError, match=r"lr_lambdas\[0\] must be None or the attributes"):
        other.load_state_dict({**saved, "lr_lambdas": [5, None]})
    assert other_warmup.steps == 8 and other.last_epoch == saved["last_epoch"]


def test_a_failing_or_negative_lambda_changes_nothing():
    opt = optimizer_with([0.1])

    def broken(epoch):
        raise ZeroDivisionError("no rate")

    with pytest.raises(ZeroDivisionError, match="no rate"):
        LambdaLR(opt, broken)
    assert "initial_lr" not in opt.param_groups[0] and opt.param_groups[0]["lr"] == 0.1
    scheduler = LambdaLR(opt, lambda e: 1.0 - 0.5 * e)
    opt.step()
    scheduler.step()
    with pytest.raises(ValueError, match=r"the new lr of param_groups.0. would be -0.05 at epoch 3"):
        opt.step()
        scheduler.step()
        scheduler.step()
    assert scheduler.last_epoch == 2 and opt.param_groups[0]["lr"] == 0.0


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: LambdaLR(o, 0.5), TypeError, "LambdaLR: lr_lambda 0 must be callable"),
        (lambda o: LambdaLR(o, [abs, abs]), ValueError, "expected 1 lr_lambdas, one per group"),
        (lambda o: LinearLR(o, start_factor=0.0), ValueError, "invalid start_factor=0.0"),
        (lambda o: LinearLR(o, start_factor=1.5), ValueError, "invalid start_factor=1.5"),
        (lambda o: LinearLR(o, end_factor=-0.1), ValueError, "invalid end_factor=-0.1"),
        (lambda o: LinearLR(o, total_iters=-1), ValueError, "invalid total_iters=-1"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "invalid T_max=0"),
        (lambda o: CosineAnnealingLR(o, T_max=3, eta_min=math.inf), ValueError, "eta_min=inf"),
        (lambda o: OneCycleLR(o, max_lr=0.1), ValueError, "either total_steps or both epochs"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "invalid total_steps=0"),
        (lambda o: OneCycleLR(o, max_lr=-0.1, total_steps=5), ValueError, "invalid max_lr=-0.1"),
        (lambda o: OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=5), ValueError,
         "max_lr must have one value per parameter group"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1.5), ValueError,
         "invalid pct_start=1.5"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"), ValueError,
         "anneal_strategy must be 'cos' or 'linear'"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0.1), ValueError,
         "phase 0 of the cycle starts and ends at step 0.0"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1.0), ValueError,
         "phase 1 of the cycle starts and ends at step 4"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, div_factor=0), ValueError,
         "div_factor and final_div_factor must be > 0"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, last_epoch=2), KeyError,
         "lacks .*needed to resume"),
        (lambda o: OneCycleLR(Adagrad([Value(0.0)]), max_lr=0.1, total_steps=5), ValueError,
         "needs an optimizer with momentum or betas"),
        (lambda o: OneCycleLR(Adam([Value(0.0)]), max_lr=0.1, total_steps=5, max_momentum=1.0),
         ValueError, "must be < 1"),
    ],
)
def test_bad_arguments_of_the_new_schedulers(make, error, match):
    opt = optimizer_with([0.1])
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups == before  # nothing was written into the groups
