"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler changes ``group['lr']`` in its optimizer's ``param_groups``; call
its ``step()`` once per epoch, after the optimizer's ``step()``. Creating one
records each group's starting rate as ``group['initial_lr']`` (kept if
already there, so several schedulers on one optimizer share it) and, as in
PyTorch, performs a first step that sets ``last_epoch`` to 0.

The schedulers use PyTorch's *chainable* forms: each step multiplies the
rate the group has now, so two schedulers on one optimizer compose, and the
rates match PyTorch's float for float. With γ the decay factor and
``lr_0 = initial_lr``, the rate at epoch e is:

=====================  ==================================================================
``StepLR``             lr_0 γ^⌊e / step_size⌋
``MultiStepLR``        lr_0 γ^(number of milestones <= e, with repeats)
``ExponentialLR``      lr_0 γ^e
``LambdaLR``           lr_0 λ(e), for a function λ you give (this one is not chainable)
``LinearLR``           lr_0 (s + (f - s) min(e, T) / T), factors s, f over T epochs
``CosineAnnealingLR``  η_min + (lr_0 - η_min)(1 + cos(π e / T_max)) / 2
``OneCycleLR``         warm up to ``max_lr``, anneal to ``max_lr / (div · final_div)``
                       (and cycle the momentum); it sets its rates, it is not chainable
=====================  ==================================================================

(``LinearLR`` and ``CosineAnnealingLR`` step by PyTorch's recursive forms,
whose rates equal these closed forms up to rounding.)

``ReduceLROnPlateau`` instead watches a metric passed to ``step(metric)`` and
cuts the rate when it stops improving; like PyTorch's, it performs no first
step and sets no ``initial_lr``.

A scheduler never gives an optimizer a rate it would refuse: a step whose
new rate would be negative, inf or nan raises ``ValueError`` and changes
nothing (PyTorch has no such check). So factors must be finite and >= 0
(``gamma=-1`` would make the rate negative), and ``load_state_dict`` checks
every value it loads, also before it changes anything.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from autograd import Value

from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
           "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR"]


def _check_optimizer(optimizer: Any, name: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
    return optimizer


def _check_int(value: Any, key: str, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: {key} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: invalid {key}={value!r} (must be >= {minimum})")
    return int(value)


def _check_real(value: Any, key: str, name: str) -> float:
    """``value`` if it is a finite real number; else TypeError or ValueError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name}: {key} must be a real number, got {type(value).__name__} {value!r}"
        )
    if not math.isfinite(value):
        raise ValueError(f"{name}: invalid {key}={value!r} (must be finite)")
    return cast(float, value)  # kept as given (an int stays an int); any Real does as a float


def _check_nonnegative(value: Any, key: str, name: str) -> float:
    """``value`` if it is a finite real number >= 0 (a rate, a factor); else an error naming it."""
    if not _check_real(value, key, name) >= 0.0:
        raise ValueError(f"{name}: invalid {key}={value!r} (must be finite and >= 0)")
    return value


def _check_rates(value: Any, key: str, name: str) -> list[float]:
    """``value`` if it is a list of finite numbers >= 0 (one rate per group)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name}: {key} must be a list of numbers, got {type(value).__name__}")
    return [_check_nonnegative(v, f"{key}[{i}]", name) for i, v in enumerate(value)]


def _check_new_rates(rates: list[Any], where: str, epoch: int) -> None:
    """Raise ValueError if a rate a scheduler computed is not a finite number >= 0."""
    for i, lr in enumerate(rates):
        if (isinstance(lr, bool) or not isinstance(lr, numbers.Real)
                or not 0.0 <= lr < math.inf):  # type: ignore[operator]  # Real has no __ge__ stub
            raise ValueError(
                f"{where}: the new lr of param_groups[{i}] would be {lr!r} at epoch {epoch} "
                "(a rate must be finite and >= 0); nothing was changed"
            )


def _check_plateau_mode(mode: Any, threshold: Any, threshold_mode: Any, name: str) -> float:
    """``threshold`` if ``mode``, ``threshold`` and ``threshold_mode`` are valid for a plateau."""
    if mode not in ("min", "max"):
        raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
    return _check_nonnegative(threshold, "threshold", name)


class LRScheduler:
    """Base class: ``step()`` sets the groups' ``lr`` from ``get_lr()``, which subclasses define.

    ``last_epoch`` counts the steps (0 after construction). ``base_lrs``
    holds each group's ``initial_lr``. To resume from a checkpoint, create
    the scheduler and then ``load_state_dict``; or pass ``last_epoch`` (the
    groups must then already hold ``initial_lr``).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.optimizer = _check_optimizer(optimizer, name)
        last_epoch = _check_int(last_epoch, "last_epoch", name, -1)
        added = []  # the groups given an initial_lr here, to take it back if the first step fails
        if last_epoch == -1:
            for group in optimizer.param_groups:
                if "initial_lr" not in group:
                    group["initial_lr"] = group["lr"]
                    added.append(group)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param_groups[{i}] has no 'initial_lr', needed to resume "
                        f"at last_epoch={last_epoch}; load the optimizer's state first"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # ExponentialLR's first step keeps the rate (PyTorch)
        try:
            self.step()
        except BaseException:
            for group in added:
                del group["initial_lr"]
            raise
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The next rate of each group, from the current ones (called by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Advance ``last_epoch`` by one and set each group's ``lr``.

        If a new rate would be negative, inf or nan, raises ``ValueError``
        and changes nothing (neither the rates nor ``last_epoch``).
        """
        self._step_count += 1
        self.last_epoch += 1
        try:
            rates = self.get_lr()
            _check_new_rates(rates, f"{type(self).__name__}.step", self.last_epoch)
        except BaseException:
            self._step_count -= 1
            self.last_epoch -= 1
            raise
        for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last ``step()`` set, one per group (a copy)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain numbers and lists (a copy)."""
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "_is_initial")
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; keys this scheduler lacks are an error.

        Every value is checked as the constructor checks it (finite rates and
        factors, ints for counters) before anything changes, so a bad state
        leaves the scheduler as it was.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        known = self.state_dict()
        unknown = sorted(set(state_dict) - set(known))
        if unknown:
            raise ValueError(f"{name}: unexpected keys {unknown}")
        state = {**known, **copy.deepcopy(dict(state_dict))}
        self._check_state(state, name)
        for key in state_dict:
            setattr(self, key, state[key])

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        """Check (and normalise in place) a whole state to be loaded; subclasses add their keys."""
        if "base_lrs" in state:
            state["base_lrs"] = _check_rates(state["base_lrs"], "base_lrs", name)
        state["_last_lr"] = _check_rates(state["_last_lr"], "_last_lr", name)
        if "_step_count" in state:
            state["_step_count"] = _check_int(state["_step_count"], "_step_count", name, 0)
        state["last_epoch"] = _check_int(state["last_epoch"], "last_epoch", name, -1)
        if "gamma" in state:
            state["gamma"] = _check_nonnegative(state["gamma"], "gamma", name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class StepLR(LRScheduler):
    """Multiply every group's rate by ``gamma`` every ``step_size`` epochs.

    At epoch e > 0 with e a multiple of ``step_size``: lr ← γ lr; so
    lr_e = lr_0 γ^⌊e / step_size⌋.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _check_int(step_size, "step_size", "StepLR", 1)
        self.gamma = _check_nonnegative(gamma, "gamma", "StepLR")
        super().__init__(optimizer, last_epoch)

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        state["step_size"] = _check_int(state["step_size"], "step_size", name, 1)

    def get_lr(self) -> list[float]:
        rates = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return rates
        return [lr * self.gamma for lr in rates]


class MultiStepLR(LRScheduler):
    """Multiply every group's rate by ``gamma`` at each milestone epoch.

    At an epoch listed k times in ``milestones``: lr ← γ^k lr; so lr_e is
    lr_0 γ^(number of milestones <= e). The order of ``milestones`` does not
    matter.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if isinstance(milestones, (str, Mapping)) or not isinstance(milestones, Iterable):
            raise TypeError(
                f"MultiStepLR: milestones must be a list of ints, got {type(milestones).__name__}"
            )
        self.milestones = Counter(_check_int(m, "milestone", "MultiStepLR", 0) for m in milestones)
        self.gamma = _check_nonnegative(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        rates = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch not in self.milestones:
            return rates
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in rates]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, with ``milestones`` as a sorted list (repeats kept), for JSON."""
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        milestones = state["milestones"]
        if isinstance(milestones, Mapping):  # a Counter, as PyTorch saves it
            counts = {_check_int(int(k) if isinstance(k, str) and k.isdigit() else k,
                                 "milestone", name, 0): _check_int(v, "milestone count", name, 0)
                      for k, v in milestones.items()}
            milestones = Counter(counts).elements()
        elif isinstance(milestones, str) or not isinstance(milestones, Iterable):
            raise TypeError(
                f"{name}: milestones must be a list of ints, got {type(milestones).__name__}"
            )
        state["milestones"] = Counter(_check_int(m, "milestone", name, 0) for m in milestones)


class ExponentialLR(LRScheduler):
    """Multiply every group's rate by ``gamma`` every epoch: lr_e = lr_0 γ^e."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_nonnegative(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        rates = [group["lr"] for group in self.optimizer.param_groups]
        if self._is_initial:  # PyTorch: the first step keeps the rate, also when resuming
            return rates
        return [lr * self.gamma for lr in rates]


class LambdaLR(LRScheduler):
    """Set each group's rate to its initial rate times a function of the epoch: lr_e = lr_0 λ(e).

    ``lr_lambda`` is one function for every group or a list with one per
    group; λ(e) must return a finite number >= 0 (else ``step`` raises and
    changes nothing). As in PyTorch, ``state_dict`` does not save the
    functions: ``lr_lambdas`` holds ``None`` for a plain function or lambda
    and a copy of the attributes (``__dict__``) of a callable object, which
    ``load_state_dict`` writes back into this scheduler's objects.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        name = "LambdaLR"
        groups = len(_check_optimizer(optimizer, name).param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"{name}: expected {groups} lr_lambdas, one per group, got {len(lr_lambda)}"
                )
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * groups
        for i, fn in enumerate(lambdas):
            if not callable(fn):
                raise TypeError(f"{name}: lr_lambda {i} must be callable, got {type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, with ``lr_lambdas`` as PyTorch saves them (see the class)."""
        state = {key: copy.deepcopy(value) for key, value in vars(self).items()
                 if key not in ("optimizer", "_is_initial", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
            else copy.deepcopy(vars(fn))
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore counters and rates, and the attributes of callable objects; all-or-nothing."""
        name = "LambdaLR.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        saved = dict(state_dict)
        attributes = saved.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        if not isinstance(attributes, (list, tuple)) or len(attributes) != len(self.lr_lambdas):
            raise ValueError(f"{name}: lr_lambdas must be a list of {len(self.lr_lambdas)} "
                             f"entries, got {attributes!r}")
        for i, (fn, attrs) in enumerate(zip(self.lr_lambdas, attributes, strict=True)):
            if attrs is not None and (not isinstance(attrs, Mapping)
                                      or not hasattr(fn, "__dict__")):
                raise ValueError(f"{name}: lr_lambdas[{i}] must be None or the attributes of "
                                 f"a callable object, got {attrs!r}")
        super().load_state_dict(saved)
        for fn, attrs in zip(self.lr_lambdas, attributes, strict=True):
            if attrs is not None:
                vars(fn).update(copy.deepcopy(dict(attrs)))


class LinearLR(LRScheduler):
    """Scale the rates by a factor that moves linearly from ``start_factor`` to ``end_factor``.

    Over ``total_iters`` = T epochs: lr_e = lr_0 (s + (f - s) min(e, T) / T)
    with s = ``start_factor`` in (0, 1] and f = ``end_factor`` in [0, 1]
    (PyTorch's ranges). It steps by PyTorch's chainable form: at e = 0
    lr ← s lr, and for 0 < e <= T
    lr ← lr (1 + (f - s) / (T s + (e - 1)(f - s))).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        name = "LinearLR"
        self.start_factor = _check_real(start_factor, "start_factor", name)
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"{name}: invalid start_factor={start_factor!r} (must be > 0 and "
                             "<= 1)")
        self.end_factor = _check_real(end_factor, "end_factor", name)
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"{name}: invalid end_factor={end_factor!r} (must be in [0, 1])")
        self.total_iters = _check_int(total_iters, "total_iters", name, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        rates = [group["lr"] for group in self.optimizer.param_groups]
        s, f, total = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return [lr * s for lr in rates]
        if self._is_initial or self.last_epoch > total:
            return rates
        return [lr * (1.0 + (f - s) / (total * s + (self.last_epoch - 1) * (f - s)))
                for lr in rates]

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        start = _check_real(state["start_factor"], "start_factor", name)
        end = _check_real(state["end_factor"], "end_factor", name)
        if not (0.0 < start <= 1.0 and 0.0 <= end <= 1.0):
            raise ValueError(f"{name}: invalid factors start_factor={start!r}, end_factor={end!r}")
        state["total_iters"] = _check_int(state["total_iters"], "total_iters", name, 0)


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the rates along half a cosine, from lr_0 down to ``eta_min`` in ``T_max`` epochs.

    lr_e = η_min + (lr_0 - η_min)(1 + cos(π e / T_max)) / 2, and on past
    T_max up again, a cosine of period 2 T_max (SGDR without restarts). It
    steps by PyTorch's chainable form::

        lr ← η_min + (lr - η_min)(1 + cos(π e / T_max)) / (1 + cos(π (e - 1) / T_max))

    except where the denominator would be 0 (e - 1 - T_max a multiple of
    2 T_max): there lr ← lr + (lr_0 - η_min)(1 - cos(π / T_max)) / 2.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _check_int(T_max, "T_max", "CosineAnnealingLR", 1)
        self.eta_min = _check_nonnegative(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (e - 1 - period) % (2 * period) == 0:
            return [group["lr"] + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for base, group in zip(self.base_lrs, groups, strict=True)]
        return [(1 + math.cos(math.pi * e / period)) / (1 + math.cos(math.pi * (e - 1) / period))
                * (group["lr"] - low) + low for group in groups]

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        state["T_max"] = _check_int(state["T_max"], "T_max", name, 1)
        _check_nonnegative(state["eta_min"], "eta_min", name)


_ANNEALING: dict[str, Callable[[float, float, float], float]] = {  # (start, end, pct) -> value
    "cos": lambda start, end, pct: end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1),
    "linear": lambda start, end, pct: (end - start) * pct + start,
}
_PHASE_KEYS = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin): up to ``max_lr``, then far below the start.

    Meant to be stepped after every batch, ``total_steps`` times in all (or
    ``epochs * steps_per_epoch``). With lr_0 = ``max_lr / div_factor`` and
    lr_min = ``lr_0 / final_div_factor``, the rate is annealed (``'cos'``:
    end + (start - end)(1 + cos(π p)) / 2, or ``'linear'``) over phases:

    - two phases (the default, fastai's): lr_0 → max_lr over the first
      ``pct_start`` of the steps, then max_lr → lr_min;
    - ``three_phase=True`` (the paper's): lr_0 → max_lr → lr_0, symmetric
      about ``pct_start``, then lr_0 → lr_min.

    With ``cycle_momentum`` the optimizer's ``momentum`` (or β₁ of
    ``betas``) moves the other way, ``max_momentum`` → ``base_momentum`` →
    ``max_momentum``. As PyTorch's, it records ``initial_lr``, ``max_lr``,
    ``min_lr``, ``max_momentum`` and ``base_momentum`` in each parameter
    group (so the optimizer's ``state_dict`` carries them), and stepping
    more than ``total_steps`` times is a ValueError. Everything is checked
    before anything is written; ``max_lr`` and the momenta may be one
    number or one per group.

    One difference: at step ``total_steps`` (one past the last phase)
    PyTorch extrapolates the last anneal, and a linear one can give a
    negative rate or momentum, or a β₁ >= 1, which no optimizer here
    accepts; the rate and momentum then stop at 0 and β₁ at
    ``max_momentum``. Every other value is PyTorch's.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        name = "OneCycleLR"
        groups = _check_optimizer(optimizer, name).param_groups
        if total_steps is not None:
            total = _check_int(total_steps, "total_steps", name, 1)
        elif epochs is not None and steps_per_epoch is not None:
            total = (_check_int(epochs, "epochs", name, 1)
                     * _check_int(steps_per_epoch, "steps_per_epoch", name, 1))
        else:
            raise ValueError(f"{name}: give either total_steps or both epochs and steps_per_epoch")
        pct = float(_check_real(pct_start, "pct_start", name))
        if not 0.0 <= pct <= 1.0:
            raise ValueError(f"{name}: invalid pct_start={pct_start!r} (must be in [0, 1])")
        if anneal_strategy not in _ANNEALING:
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        for key, flag in (("cycle_momentum", cycle_momentum), ("three_phase", three_phase)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name}: {key} must be True or False, got {flag!r}")
        last_epoch = _check_int(last_epoch, "last_epoch", name, -1)
        div = _check_real(div_factor, "div_factor", name)
        final_div = _check_real(final_div_factor, "final_div_factor", name)
        if not (div > 0 and final_div > 0):
            raise ValueError(f"{name}: div_factor and final_div_factor must be > 0, got "
                             f"{div_factor!r} and {final_div_factor!r}")
        max_lrs = _per_group(max_lr, "max_lr", name, len(groups))
        entries = [{"initial_lr": lr / div, "max_lr": lr, "min_lr": lr / div / final_div}
                   for lr in max_lrs]
        use_beta1 = False
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum "
                                 f"or betas, and {type(optimizer).__name__} has neither; pass "
                                 "cycle_momentum=False")
            use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(max_momentum, "max_momentum", name, len(groups))
            lows = _per_group(base_momentum, "base_momentum", name, len(groups))
            if use_beta1 and any(m >= 1.0 for m in highs + lows):
                raise ValueError(f"{name}: momenta become betas[0] of {type(optimizer).__name__} "
                                 f"and must be < 1, got max {highs} and base {lows}")
            for entry, high, low in zip(entries, highs, lows, strict=True):
                entry.update(max_momentum=high, base_momentum=low)
        if three_phase:
            phases = [
                _phase(float(pct * total) - 1, "initial_lr", "max_lr", "max_momentum",
                       "base_momentum"),
                _phase(float(2 * pct * total) - 2, "max_lr", "initial_lr", "base_momentum",
                       "max_momentum"),
                _phase(total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            phases = [
                _phase(float(pct * total) - 1, "initial_lr", "max_lr", "max_momentum",
                       "base_momentum"),
                _phase(total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        self.total_steps = total
        self._schedule_phases = phases
        self._anneal_func_type = anneal_strategy
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
        _check_phases(phases, total, name)
        if last_epoch == -1:
            for group, entry in zip(groups, entries, strict=True):
                group.update(entry)
                if cycle_momentum:
                    self._set_momentum(group, entry["max_momentum"])
        else:
            needed = {"initial_lr", "max_lr", "min_lr"}
            if cycle_momentum:
                needed |= {"max_momentum", "base_momentum"}
            for i, group in enumerate(groups):
                if not needed <= set(group):
                    raise KeyError(f"{name}: param_groups[{i}] lacks {sorted(needed - set(group))}, "
                                   f"needed to resume at last_epoch={last_epoch}; load the "
                                   "optimizer's state first")
        super().__init__(optimizer, last_epoch)

    def _annealed(self, group: Mapping[str, Any], step: int, what: str) -> float:
        """The ``what`` ('lr' or 'momentum') of ``group`` at ``step``, PyTorch's phase by phase."""
        start, phase = 0.0, self._schedule_phases[-1]  # the last phase takes every later step
        for candidate in self._schedule_phases[:-1]:
            if step <= candidate["end_step"]:
                phase = candidate
                break
            start = candidate["end_step"]
        pct = (step - start) / (phase["end_step"] - start)
        anneal = _ANNEALING[self._anneal_func_type]
        return anneal(group[phase[f"start_{what}"]], group[phase[f"end_{what}"]], pct)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        if self.last_epoch > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {self.last_epoch} times, but the cycle "
                             f"has total_steps={self.total_steps}")
        # past the last phase's end (step total_steps) PyTorch extrapolates, which a linear
        # anneal can take below 0: a rate is never negative here, so it stops at 0
        return [max(self._annealed(group, self.last_epoch, "lr"), 0.0)
                for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one step: set each group's rate and, with ``cycle_momentum``, its momentum."""
        super().step()  # raises, changing nothing, past total_steps
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                momentum = self._annealed(group, self.last_epoch, "momentum")
                if self.use_beta1 and not momentum < 1.0:  # the same extrapolation, for a beta
                    momentum = group["max_momentum"]
                self._set_momentum(group, max(momentum, 0.0))

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        state["total_steps"] = _check_int(state["total_steps"], "total_steps", name, 1)
        if state["_anneal_func_type"] not in _ANNEALING:
            raise ValueError(f"{name}: _anneal_func_type must be 'cos' or 'linear', "
                             f"got {state['_anneal_func_type']!r}")
        if not isinstance(state["cycle_momentum"], bool):
            raise TypeError(f"{name}: cycle_momentum must be True or False")
        if state["cycle_momentum"] and not isinstance(state.get("use_beta1"), bool):
            raise TypeError(f"{name}: use_beta1 must be True or False")
        phases = state["_schedule_phases"]
        if not isinstance(phases, list) or not phases:
            raise ValueError(f"{name}: _schedule_phases must be a non-empty list")
        state["_schedule_phases"] = [_checked_phase(phase, i, name) for i, phase in enumerate(phases)]


def _phase(end_step: float, start_lr: str, end_lr: str, start_momentum: str,
           end_momentum: str) -> dict[str, Any]:
    """One phase of a 1cycle schedule, as PyTorch records it: where it ends, which keys it joins."""
    return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
            "start_momentum": start_momentum, "end_momentum": end_momentum}


def _check_phases(phases: list[dict[str, Any]], total: int, name: str) -> None:
    """A ValueError if a step 0..total falls in a phase of length 0 (PyTorch: ZeroDivisionError).

    Step s falls in the first phase i with s <= end_i (the last phase takes
    the rest), so phase i takes the integers in (max_{j<i} end_j, end_i].
    """
    start, latest = 0.0, -math.inf
    for i, phase in enumerate(phases):
        end = phase["end_step"]
        last = i == len(phases) - 1
        first_step = 0 if latest < 0 else math.floor(latest) + 1
        if end == start and first_step <= (total if last else min(end, total)):
            raise ValueError(
                f"{name}: phase {i} of the cycle starts and ends at step {end}, so step "
                f"{first_step} would divide by zero; change pct_start or total_steps"
            )
        start, latest = end, max(latest, end)


def _checked_phase(phase: Any, i: int, name: str) -> dict[str, Any]:
    keys = ("start_lr", "end_lr", "start_momentum", "end_momentum")
    if not isinstance(phase, Mapping) or set(phase) != {"end_step", *keys}:
        raise ValueError(f"{name}: _schedule_phases[{i}] must be a phase dict, got {phase!r}")
    if any(phase[key] not in _PHASE_KEYS for key in keys):
        raise ValueError(f"{name}: _schedule_phases[{i}] names an unknown group key: {phase!r}")
    return {**phase, "end_step": _check_real(phase["end_step"], "end_step", name)}


def _per_group(value: Any, key: str, name: str, groups: int) -> list[float]:
    """One finite number >= 0 for every group, or a list of them (one per group)."""
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name}: {key} must have one value per parameter group ({groups}), "
                             f"got {len(value)}")
        return _check_rates(value, key, name)
    return [_check_nonnegative(value, key, name)] * groups


class ReduceLROnPlateau(LRScheduler):
    """Cut the rates by ``factor`` when a metric has stopped improving.

    ``step(metric)``, once per epoch, compares the metric with the best so
    far. It is an improvement when (``mode``, ``threshold_mode``) is

    =============  =====================  ======================
    mode           ``'rel'``              ``'abs'``
    =============  =====================  ======================
    ``'min'``      a < best (1 - τ)       a < best - τ
    ``'max'``      a > best (1 + τ)       a > best + τ
    =============  =====================  ======================

    with τ = ``threshold``; otherwise it is a bad epoch. During the
    ``cooldown`` epochs after a cut, bad epochs are not counted. When more
    than ``patience`` bad epochs have been counted, each group's rate
    becomes ``max(lr * factor, min_lr)``, unless that changes it by no more
    than ``eps``; the count restarts and the cooldown begins.

    ``min_lr`` is one number or one per group. Like PyTorch's, this
    scheduler performs no first step and sets no ``initial_lr``; it counts
    epochs in ``last_epoch`` from 0.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        self.optimizer = _check_optimizer(optimizer, name)
        self.factor = _check_real(factor, "factor", name)
        if not 0.0 <= self.factor < 1.0:
            raise ValueError(f"{name}: invalid factor={factor!r} (must be >= 0 and < 1.0)")
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(
                    f"{name}: expected {groups} min_lrs, one per group, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = _check_rates(min_lr, "min_lr", name)
        else:
            self.default_min_lr = _check_nonnegative(min_lr, "min_lr", name)
            self.min_lrs = [self.default_min_lr] * groups
        self.patience = _check_int(patience, "patience", name, 0)
        self.cooldown = _check_int(cooldown, "cooldown", name, 0)
        self.eps = _check_nonnegative(eps, "eps", name)
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        self.threshold = _check_plateau_mode(mode, threshold, threshold_mode, "ReduceLROnPlateau")
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: float | Value) -> None:  # type: ignore[override]  # PyTorch's signature
        """Record this epoch's metric (a number or a Value) and cut the rates if it is time."""
        current = metrics.data if isinstance(metrics, Value) else metrics
        if isinstance(current, bool) or not isinstance(current, numbers.Real):
            raise TypeError(
                f"ReduceLROnPlateau.step: the metric must be a number, got {type(metrics).__name__}"
            )
        current = float(current)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups but "
                    f"min_lr gave {len(self.min_lrs)}; set min_lrs to one per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)  # finite and >= 0: factor and min_lr are
            if old - new > self.eps:
                group["lr"] = new

    def _check_state(self, state: dict[str, Any], name: str) -> None:
        super()._check_state(state, name)
        state["factor"] = _check_real(state["factor"], "factor", name)
        if not 0.0 <= state["factor"] < 1.0:
            raise ValueError(f"{name}: invalid factor={state['factor']!r} (must be >= 0 and < 1.0)")
        if state["default_min_lr"] is not None:
            _check_nonnegative(state["default_min_lr"], "default_min_lr", name)
        state["min_lrs"] = _check_rates(state["min_lrs"], "min_lrs", name)
        for key in ("patience", "cooldown", "cooldown_counter", "num_bad_epochs"):
            state[key] = _check_int(state[key], key, name, 0)
        _check_nonnegative(state["eps"], "eps", name)
        best = state["best"]
        if isinstance(best, bool) or not isinstance(best, numbers.Real) or math.isnan(best):
            raise ValueError(f"{name}: best must be a number (inf before the first step), "
                             f"got {best!r}")
        _check_plateau_mode(state["mode"], state["threshold"], state["threshold_mode"], name)
        state["mode_worse"] = math.inf if state["mode"] == "min" else -math.inf
