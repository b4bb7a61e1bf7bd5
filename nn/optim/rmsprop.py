"""``RMSprop``: steps divided by a running RMS of the gradients, as ``torch.optim.RMSprop``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from autograd import Value

from .optimizer import Optimizer, ParamsT, lerp


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum.

    For a parameter θ with gradient ∇, at step t = 1, 2, ... (v, m, b start at 0)::

        g = -∇ if maximize else ∇
        g = g + λ θ                          weight decay λ (if λ != 0)
        v = α v + (1 - α) g²                 smoothing constant α
        m = α m + (1 - α) g                  } if centered:
        d = √(v - m²) + ε                    }   subtract the squared mean
        d = √v + ε                           otherwise
        b = μ b + g / d;  θ = θ - γ b        if momentum μ > 0
        θ = θ - γ g / d                      otherwise

    State per parameter: ``step``, ``square_avg`` (v), ``grad_avg`` (m,
    when centered) and ``momentum_buffer`` (b, when μ > 0). ``maximize`` is
    the seventh positional argument, as in PyTorch.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: Mapping[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "eps", "momentum", "weight_decay", "alpha")
        self._check_flags(group, "centered", "maximize")

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        state = dict(self.state.get(p, {}))
        if not state:
            state.update(step=0.0, square_avg=0.0)
            if group["momentum"] > 0:
                state["momentum_buffer"] = 0.0
            if group["centered"]:
                state["grad_avg"] = 0.0
        state["step"] += 1.0
        g = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        alpha = group["alpha"]
        state["square_avg"] = v = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            state["grad_avg"] = m = lerp(state.get("grad_avg", 0.0), g, 1 - alpha)
            var = v - m * m
            # rounding can leave a tiny negative here; PyTorch's sqrt then gives nan, and so do we
            d = (math.sqrt(var) if var >= 0.0 else math.nan) + group["eps"]
        else:
            d = math.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            b = group["momentum"] * state.get("momentum_buffer", 0.0) + g / d
            state["momentum_buffer"] = b
            return p.data - group["lr"] * b, state
        return p.data - group["lr"] * (g / d), state
