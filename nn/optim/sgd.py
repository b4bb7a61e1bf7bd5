"""``SGD``: stochastic gradient descent, with optional momentum, as ``torch.optim.SGD``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograd import Value

from .optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    For a parameter θ with gradient ∇ (its ``grad``), at step t = 1, 2, ...::

        g = -∇ if maximize else ∇
        g = g + λ θ                          weight decay λ (if λ != 0)
        b = g                                at t = 1      } momentum μ,
        b = μ b + (1 - τ) g                  at t > 1      } dampening τ
        g = g + μ b  if nesterov else  b                   } (if μ != 0)
        θ = θ - γ g                          learning rate γ

    The first step copies the gradient into the buffer ``b`` without
    dampening, as PyTorch does. Defaults are PyTorch 2.x's (``lr=1e-3``).
    State per parameter: ``momentum_buffer`` (only when μ != 0).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: Mapping[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "momentum", "weight_decay")
        self._check_real(group, "dampening")
        self._check_flags(group, "nesterov", "maximize")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        g = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        state = dict(self.state.get(p, {}))
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            buf = g if buf is None else mu * buf + (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if group["nesterov"] else buf
        return p.data - group["lr"] * g, state
