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

================  ======================================================
``StepLR``        lr_0 γ^⌊e / step_size⌋
``MultiStepLR``   lr_0 γ^(number of milestones <= e, with repeats)
``ExponentialLR`` lr_0 γ^e
================  ======================================================

``ReduceLROnPlateau`` instead watches a metric passed to ``step(metric)`` and
cuts the rate when it stops improving; like PyTorch's, it performs no first
step and sets no ``initial_lr``.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from autograd import Value

from .optimizer import Optimizer

__all__ = ["ExponentialLR", "LRScheduler", "MultiStepLR", "ReduceLROnPlateau", "StepLR"]


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
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name}: {key} must be a real number, got {type(value).__name__} {value!r}"
        )
    if math.isnan(value):
        raise ValueError(f"{name}: invalid {key}=nan")
    return value


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
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
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
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The next rate of each group, from the current ones (called by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Advance ``last_epoch`` by one and set each group's ``lr``."""
        self._step_count += 1
        self.last_epoch += 1
        rates = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, rates):
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
        """Restore what ``state_dict()`` returned; keys this scheduler lacks are an error."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        known = self.state_dict()
        unknown = sorted(set(state_dict) - set(known))
        if unknown:
            raise ValueError(f"{name}: unexpected keys {unknown}")
        for key, value in state_dict.items():
            setattr(self, key, copy.deepcopy(value))

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
        self.gamma = _check_real(gamma, "gamma", "StepLR")
        super().__init__(optimizer, last_epoch)

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
        self.gamma = _check_real(gamma, "gamma", "MultiStepLR")
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

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        if "milestones" in state_dict:
            milestones = state_dict["milestones"]
            if isinstance(milestones, Mapping):  # a Counter, as PyTorch saves it
                milestones = Counter({int(k): v for k, v in milestones.items()}).elements()
            self.milestones = Counter(
                _check_int(m, "milestone", "MultiStepLR", 0) for m in milestones
            )


class ExponentialLR(LRScheduler):
    """Multiply every group's rate by ``gamma`` every epoch: lr_e = lr_0 γ^e."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_real(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        rates = [group["lr"] for group in self.optimizer.param_groups]
        if self._is_initial:  # PyTorch: the first step keeps the rate, also when resuming
            return rates
        return [lr * self.gamma for lr in rates]


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
        if not self.factor < 1.0:
            raise ValueError(f"{name}: invalid factor={factor!r} (must be < 1.0)")
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(
                    f"{name}: expected {groups} min_lrs, one per group, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = [_check_real(m, "min_lr", name) for m in min_lr]
        else:
            self.default_min_lr = _check_real(min_lr, "min_lr", name)
            self.min_lrs = [self.default_min_lr] * groups
        self.patience = _check_int(patience, "patience", name, 0)
        self.cooldown = _check_int(cooldown, "cooldown", name, 0)
        self.eps = _check_real(eps, "eps", name)
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        name = "ReduceLROnPlateau"
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.mode = mode
        self.threshold = _check_real(threshold, "threshold", name)
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

    def step(self, metrics: float | Value) -> None:
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
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
