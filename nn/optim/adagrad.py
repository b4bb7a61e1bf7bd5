"""``Adagrad``: step sizes shrunk by the sum of squared gradients, as ``torch.optim.Adagrad``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from autograd import Value

from .optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    r"""Adagrad: each parameter's step shrinks with the gradients it has seen.

    For a parameter θ with gradient ∇, at step t = 1, 2, ...::

        g = -∇ if maximize else ∇
        g = g + λ θ                          weight decay λ (if λ != 0)
        γ̃ = γ / (1 + (t - 1) η)             learning rate γ, lr_decay η
        s = s + g²                           s starts at initial_accumulator_value
        θ = θ - γ̃ g / (√s + ε)

    State per parameter: ``step`` (t, a float as in PyTorch) and ``sum`` (s),
    created when the optimizer is: ``state_dict()`` shows them before the
    first step, as PyTorch's does. A group's own
    ``initial_accumulator_value`` is honoured (PyTorch reads only the
    optimizer-wide default when it fills in state later).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._initial_state(group)

    def _initial_state(self, group: dict[str, Any]) -> dict[str, float]:
        return {"step": 0.0, "sum": float(group["initial_accumulator_value"])}

    def _validate(self, group: Mapping[str, Any]) -> None:
        self._check_nonnegative(
            group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"
        )
        self._check_flags(group, "maximize")

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        state = dict(self.state.get(p) or self._initial_state(group))
        state["step"] = t = state["step"] + 1.0
        g = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state["sum"] = s = state["sum"] + g * g
        return p.data - clr * (g / (math.sqrt(s) + group["eps"])), state
