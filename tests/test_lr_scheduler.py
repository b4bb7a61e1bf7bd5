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
from nn.optim import SGD, Adam
from nn.optim.lr_scheduler import (
    ExponentialLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(b))


def assert_rates_close(got, want):
    assert len(got) == len(want)
    for epoch, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w)
        assert all(close(a, b) for a, b in zip(g, w)), f"epoch {epoch}: {g} != {w}"


def optimizer_with(lrs):
    """An SGD optimizer with one parameter group per learning rate."""
    return SGD([{"params": [Value(0.0)], "lr": lr} for lr in lrs])


def rates(make, lrs, epochs=12):
    """The rates after construction and after each epoch's optimizer.step(); scheduler.step()."""
    opt = optimizer_with(lrs)
    scheduler = make(opt)
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


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
    got = [second.get_last_lr()]
    for _ in range(12):
        opt.step()
        first.step()
        second.step()
        got.append(second.get_last_lr())
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
    opt = optimizer_with([0.1, 0.02])
    scheduler = make(opt)
    for _ in range(5):
        opt.step()
        scheduler.step()
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    saved = json.loads(json.dumps(scheduler.state_dict()))
    opt2 = optimizer_with([0.1, 0.02])
    resumed = make(opt2)
    opt2.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    got = [resumed.get_last_lr()]
    for _ in range(7):
        opt2.step()
        resumed.step()
        got.append(resumed.get_last_lr())
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
