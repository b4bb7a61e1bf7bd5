"""Training must not destroy the model: bad hyperparameters are refused, a step is all-or-nothing.

Every optimizer and scheduler refuses hyperparameters that are out of range
or not finite, wherever they come from (constructor, an edited
``param_groups``, a scheduler, ``load_state_dict``); an optimizer step that
would write inf or nan into a parameter or its state raises
``NonFiniteStepError`` and changes nothing; so ``nn.fit`` with ``lr=1e308``
stops with a clear error and leaves a finite model that ``nn.save`` accepts.
"""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pytest

import nn
from autograd import Value
from nn.optim import SGD, Adagrad, Adam, AdamW, NonFiniteStepError, RMSprop
from nn.optim.lr_scheduler import ExponentialLR, MultiStepLR, ReduceLROnPlateau, StepLR

OPTIMIZERS = {"SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
# every real-valued hyperparameter of each optimizer (betas are checked as betas[0], betas[1])
HYPERPARAMETERS = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"],
    "Adam": ["lr", "eps", "weight_decay", "betas[0]", "betas[1]"],
    "AdamW": ["lr", "eps", "weight_decay", "betas[0]", "betas[1]"],
}
CASES = [(name, key) for name, keys in HYPERPARAMETERS.items() for key in keys]
NON_FINITE = [math.inf, -math.inf, math.nan]


def setting(key: str, value: float) -> dict:
    """The keyword argument (or group entry) that sets hyperparameter ``key`` to ``value``."""
    if key.startswith("betas["):
        return {"betas": (value, 0.999) if key == "betas[0]" else (0.9, value)}
    return {key: value}


def snapshot(opt, params):
    """Everything a step may change: the parameters' data and the optimizer's state."""
    return [p.data for p in params], copy.deepcopy(opt.state_dict())


def trained(name: str, **kwargs):
    """An optimizer over two groups of two parameters, after two ordinary steps (state filled)."""
    params = [Value(0.5), Value(-1.5), Value(2.0), Value(0.25)]
    opt = OPTIMIZERS[name]([{"params": params[:2]}, {"params": params[2:]}], lr=0.1, **kwargs)
    for grads in ([0.3, -0.2, 0.1, 0.4], [0.1, 0.5, -0.3, 0.2]):
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()
    return opt, params


# --------------------------------------------------------------------------- hyperparameters


@pytest.mark.parametrize("value", NON_FINITE, ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize(("name", "key"), CASES)
def test_non_finite_hyperparameters_are_refused_naming_optimizer_key_and_value(name, key, value):
    message = rf"{name}: invalid {re.escape(key)}={value!r}"
    with pytest.raises(ValueError, match=message):
        OPTIMIZERS[name]([Value(1.0)], **setting(key, value))
    with pytest.raises(ValueError, match=message):  # also when a group sets it
        OPTIMIZERS[name]([{"params": [Value(1.0)], **setting(key, value)}])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_huge_but_finite_learning_rate_is_accepted(name):
    opt = OPTIMIZERS[name]([Value(1.0)], lr=1e308)
    assert opt.param_groups[0]["lr"] == 1e308


@pytest.mark.parametrize(("name", "key"), CASES)
def test_param_group_edits_are_checked_at_step_and_change_nothing(name, key):
    opt, params = trained(name)
    before = snapshot(opt, params)
    group = opt.param_groups[1]
    if key.startswith("betas["):
        group["betas"] = setting(key, math.inf)["betas"]
    else:
        group[key] = math.inf
    message = rf"{name}: invalid {re.escape(key)}=inf.*param_groups\[1\] at step\(\)"
    with pytest.raises(ValueError, match=message):
        opt.step()
    group.update(copy.deepcopy(before[1]["param_groups"][1]))
    group["params"] = params[2:]
    assert snapshot(opt, params) == before


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_param_group_edits_to_a_negative_rate_are_refused_at_step(name):
    opt, _ = trained(name)
    opt.param_groups[0]["lr"] = -0.1
    with pytest.raises(ValueError, match=rf"{name}: invalid lr=-0.1 \(must be >= 0\)"):
        opt.step()


@pytest.mark.parametrize("bad", [math.inf, math.nan, -1.0], ids=["inf", "nan", "negative"])
@pytest.mark.parametrize("key", ["lr", "initial_lr"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_load_state_dict_refuses_bad_rates_and_changes_nothing(name, key, bad):
    opt, params = trained(name)
    ExponentialLR(opt, gamma=0.5)  # sets initial_lr in every group
    before = snapshot(opt, params)
    saved = json.loads(json.dumps(opt.state_dict()))
    saved["param_groups"][1][key] = bad
    with pytest.raises(ValueError, match=rf"{name}: invalid {key}={bad!r}"):
        opt.load_state_dict(saved)
    assert snapshot(opt, params) == before


# --------------------------------------------------------------------------- steps


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_that_would_overflow_a_parameter_changes_nothing(name):
    """Group 1 would be stepped to inf: no parameter (not even group 0's, whose updates are
    finite) and no state changes, and the error says which parameter."""
    opt, params = trained(name)
    params[3].data, params[3].grad = 1e308, -1.0
    opt.param_groups[1]["lr"] = 1e308
    for p in params[:3]:
        p.grad = 0.5
    before = snapshot(opt, params)
    with pytest.raises(NonFiniteStepError, match=(
            rf"{name}.step: parameter [01] of param_groups\[1\]: it would become -?inf .*"
            r"lr 1e\+308; try a smaller learning rate\). The step was not applied")) as info:
        opt.step()
    assert (info.value.group, info.value.name, info.value.key) == (1, None, "data")
    assert info.value.value in (math.inf, -math.inf)
    assert snapshot(opt, params) == before
    state = json.loads(json.dumps(opt.state_dict()))  # still finite: it loads back
    opt.load_state_dict(state)
    opt.param_groups[1]["lr"] = 0.1
    opt.step()  # and training goes on once the rate is sane
    assert all(math.isfinite(p.data) for p in params)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_non_finite_gradient_is_refused_and_said(name):
    opt, params = trained(name)
    params[1].grad = math.nan
    before = snapshot(opt, params)
    with pytest.raises(NonFiniteStepError, match=r"parameter 1 of param_groups\[0\].*grad nan; "
                                                 "the gradient itself is not finite"):
        opt.step()
    assert snapshot(opt, params) == before


def test_the_error_names_the_parameter_when_the_optimizer_was_given_names():
    model = nn.Linear(2, 1)
    named = list(model.named_parameters())
    opt = SGD(named, lr=1e308)
    for _, p in named:
        p.data, p.grad = 1e308, -2.0
    with pytest.raises(NonFiniteStepError, match=rf"parameter 0 of param_groups\[0\] "
                                                 rf"\('{named[0][0]}'\)") as info:
        opt.step()
    assert info.value.name == named[0][0]
    labelled = Value(1e308, label="w")
    labelled.grad = -2.0
    with pytest.raises(NonFiniteStepError, match=r"param_groups\[0\] \('w'\)"):
        SGD([labelled], lr=1e308).step()


def test_a_state_that_would_overflow_is_refused():
    """A gradient of 1e200 squares to inf in Adam's running average: refused, named."""
    opt, params = trained("Adam")
    params[2].grad = 1e200
    before = snapshot(opt, params)
    with pytest.raises(NonFiniteStepError,
                       match=r"parameter 0 of param_groups\[1\]: its state\['exp_avg_sq'\] "
                             "would become inf") as info:
        opt.step()
    assert info.value.key == "exp_avg_sq"
    assert snapshot(opt, params) == before


def test_a_division_by_zero_in_the_rule_is_refused():
    """Adam with eps=0 divides 0 by 0 on a zero gradient (PyTorch writes nan): refused."""
    p = Value(1.0)
    p.grad = 0.0
    opt = Adam([p], eps=0.0)
    with pytest.raises(NonFiniteStepError, match=r"its update failed \(ZeroDivisionError"):
        opt.step()
    assert p.data == 1.0 and not opt.state


def test_an_update_rule_must_return_data_and_state():
    class Broken(SGD):
        def _update(self, p, group):
            return p.data - group["lr"] * p.grad  # the old contract: no state

    p = Value(1.0)
    p.grad = 1.0
    with pytest.raises(TypeError, match=r"Broken._update must return \(new data, new state"):
        Broken([p], lr=0.1).step()
    assert p.data == 1.0


# --------------------------------------------------------------------------- schedulers


def one_group(lr: float = 0.1):
    return SGD([Value(1.0)], lr=lr)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda o: StepLR(o, step_size=1, gamma=-1), r"StepLR: invalid gamma=-1 \(must be finite"),
        (lambda o: StepLR(o, step_size=1, gamma=math.inf), "StepLR: invalid gamma=inf"),
        (lambda o: MultiStepLR(o, [1], gamma=-0.5), "MultiStepLR: invalid gamma=-0.5"),
        (lambda o: ExponentialLR(o, gamma=-math.inf), "ExponentialLR: invalid gamma=-inf"),
        (lambda o: ReduceLROnPlateau(o, factor=-0.1), "ReduceLROnPlateau: invalid factor=-0.1"),
        (lambda o: ReduceLROnPlateau(o, min_lr=math.inf), "ReduceLROnPlateau: invalid min_lr=inf"),
        (lambda o: ReduceLROnPlateau(o, min_lr=[-1.0]), r"invalid min_lr\[0\]=-1.0"),
        (lambda o: ReduceLROnPlateau(o, eps=math.nan), "ReduceLROnPlateau: invalid eps=nan"),
        (lambda o: ReduceLROnPlateau(o, threshold=math.inf), "invalid threshold=inf"),
    ],
)
def test_scheduler_factors_must_be_finite_and_non_negative(make, match):
    opt = one_group()
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1


def test_a_scheduler_step_that_would_overflow_the_rate_changes_nothing():
    opt = one_group(0.1)
    scheduler = ExponentialLR(opt, gamma=1e200)
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.1 * 1e200
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"ExponentialLR.step: the new lr of param_groups\[0\] "
                                         r"would be inf at epoch 2 .*nothing was changed"):
        scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.1 * 1e200 and scheduler.state_dict() == before


def test_a_scheduler_refuses_to_pass_on_an_invalid_rate_edited_into_a_group():
    opt = one_group()
    scheduler = StepLR(opt, step_size=5)
    opt.param_groups[0]["lr"] = -0.5
    with pytest.raises(ValueError, match=r"would be -0.5 at epoch 1"):
        scheduler.step()
    assert scheduler.last_epoch == 0


@pytest.mark.parametrize(
    ("make", "key", "bad", "error", "match"),
    [
        (lambda o: StepLR(o, 2), "gamma", -1.0, ValueError, "invalid gamma=-1.0"),
        (lambda o: StepLR(o, 2), "gamma", "0.5", TypeError, "gamma must be a real number"),
        (lambda o: StepLR(o, 2), "step_size", 0, ValueError, "invalid step_size=0"),
        (lambda o: StepLR(o, 2), "base_lrs", [math.inf], ValueError, r"invalid base_lrs\[0\]=inf"),
        (lambda o: StepLR(o, 2), "base_lrs", 0.1, TypeError, "base_lrs must be a list"),
        (lambda o: StepLR(o, 2), "_last_lr", [math.nan], ValueError, r"_last_lr\[0\]=nan"),
        (lambda o: StepLR(o, 2), "last_epoch", 2.5, TypeError, "last_epoch must be an int"),
        (lambda o: StepLR(o, 2), "_step_count", -1, ValueError, "invalid _step_count=-1"),
        (lambda o: MultiStepLR(o, [2]), "milestones", [2, -1], ValueError, "milestone=-1"),
        (lambda o: MultiStepLR(o, [2]), "milestones", 3, TypeError, "milestones must be a list"),
        (lambda o: ExponentialLR(o, 0.5), "gamma", math.inf, ValueError, "invalid gamma=inf"),
        (lambda o: ReduceLROnPlateau(o), "factor", 2.0, ValueError, "invalid factor=2.0"),
        (lambda o: ReduceLROnPlateau(o), "min_lrs", [math.nan], ValueError, r"min_lrs\[0\]=nan"),
        (lambda o: ReduceLROnPlateau(o), "best", math.nan, ValueError, "best must be a number"),
        (lambda o: ReduceLROnPlateau(o), "mode", "avg", ValueError, "mode must be 'min' or 'max'"),
        (lambda o: ReduceLROnPlateau(o), "threshold", -1.0, ValueError, "threshold=-1.0"),
        (lambda o: ReduceLROnPlateau(o), "patience", -1, ValueError, "invalid patience=-1"),
        (lambda o: ReduceLROnPlateau(o), "eps", math.inf, ValueError, "invalid eps=inf"),
    ],
)
def test_scheduler_load_state_dict_checks_every_value_and_changes_nothing(make, key, bad, error,
                                                                          match):
    scheduler = make(one_group())
    before = scheduler.state_dict()
    saved = json.loads(json.dumps(before))
    saved[key] = bad
    saved["last_epoch" if key != "last_epoch" else "_last_lr"] = (
        7 if key != "last_epoch" else [0.05])  # a good change alongside: not applied either
    with pytest.raises(error, match=rf"{type(scheduler).__name__}.load_state_dict: .*{match}"):
        scheduler.load_state_dict(saved)
    assert scheduler.state_dict() == before


def test_multistep_still_loads_milestones_saved_as_a_counter():
    scheduler = MultiStepLR(one_group(), [1])
    scheduler.load_state_dict({"milestones": {"2": 1, "5": 2}})  # PyTorch's Counter, via JSON
    assert sorted(scheduler.milestones.elements()) == [2, 5, 5]


# --------------------------------------------------------------------------- fit


def moons():
    X, y = nn.data.two_moons(24, noise=0.1, generator=0)
    return X, [2 * t - 1 for t in y]


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fit_with_lr_1e308_stops_clearly_and_leaves_a_finite_savable_model(name, compiled,
                                                                          tmp_path):
    model = nn.MLP(2, [4, 1], generator=0)
    with pytest.raises(nn.NonFiniteLossError, match=r"fit: .*epoch") as info:
        nn.fit(model, nn.MaxMarginLoss(), OPTIMIZERS[name](model.parameters(), lr=1e308),
               moons(), epochs=5, progress=False, compiled=compiled)
    assert all(math.isfinite(p.data) for p in model.parameters())
    if isinstance(info.value.__cause__, NonFiniteStepError):
        assert "was refused, so the model is as it was before it" in str(info.value)
    nn.save(model, tmp_path / "model.json")
    loaded = nn.load(tmp_path / "model.json")
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]


def test_fit_reports_a_refused_step_with_its_history():
    """Adam's first step moves every parameter by about lr: with 1e308 that is a refused step."""
    model = nn.MLP(2, [4, 1], generator=0)
    start = [p.data for p in model.parameters()]
    with pytest.raises(nn.NonFiniteLossError, match=r"step at epoch 1, iteration 1 was refused"
                       ) as info:
        nn.fit(model, nn.MaxMarginLoss(), Adam(model.parameters(), lr=1e308), moons(),
               epochs=3, progress=False)
    assert isinstance(info.value.__cause__, NonFiniteStepError)
    assert info.value.history["loss"] == []
    assert [p.data for p in model.parameters()] == start


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
def test_fit_with_non_finite_inputs_raises_non_finite_loss_error(bad, compiled):
    X, y = moons()
    X = [list(x) for x in X]
    X[5][0] = bad
    model = nn.MLP(2, [4, 1], generator=0)
    start = [p.data for p in model.parameters()]
    with pytest.raises(nn.NonFiniteLossError, match="epoch 1, iteration 1"):
        nn.fit(model, nn.MaxMarginLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
               progress=False, compiled=compiled)
    assert [p.data for p in model.parameters()] == start


def test_fit_compiled_refuses_an_empty_batch_naming_its_shape():
    class WithAnEmptyBatch(nn.data.DataLoader):
        def __iter__(self):
            yield from super().__iter__()
            yield [], []

    X, y = moons()
    model = nn.MLP(2, [4, 1], generator=0)
    with pytest.raises(ValueError, match=r"empty batch \(inputs of shape \(0,\)\).*loss tape"):
        nn.fit(model, nn.MaxMarginLoss(), SGD(model.parameters(), lr=0.1),
               WithAnEmptyBatch(X, y, batch_size=8), epochs=1, progress=False, compiled=True)
    assert np.isfinite([p.data for p in model.parameters()]).all()
