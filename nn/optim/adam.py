"""``Adam``: steps from bias-corrected running moments of the gradient, as ``torch.optim.Adam``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd import Value

from .optimizer import Optimizer, ParamsT, lerp


class Adam(Optimizer):
    r"""Adam (Kingma and Ba), optionally AMSGrad, with L2 or decoupled weight decay.

    For a parameter θ with gradient ∇, at step t = 1, 2, ... (m, v, v̂ start at 0)::

        g = -∇ if maximize else ∇
        θ = θ (1 - γ λ)                      } weight decay λ (if λ != 0):
        g = g + λ θ                          } decoupled (AdamW) or L2
        m = β₁ m + (1 - β₁) g
        v = β₂ v + (1 - β₂) g²
        v̂ = max(v̂, v)                       if amsgrad (then v̂ replaces v below)
        θ = θ - (γ / (1 - β₁ᵗ)) m / (√v / √(1 - β₂ᵗ) + ε)

    That last line is PyTorch's arrangement of the textbook
    ``θ - γ m̂ / (√v̂ + ε)`` with ``m̂ = m / (1 - β₁ᵗ)``, ``v̂ = v / (1 - β₂ᵗ)``;
    the two differ only in rounding. ``betas`` is ``(β₁, β₂)``.

    State per parameter: ``step`` (t, a float as in PyTorch), ``exp_avg`` (m),
    ``exp_avg_sq`` (v) and ``max_exp_avg_sq`` (v̂, with amsgrad).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _validate(self, group: Mapping[str, Any]) -> None:
        name = type(self).__name__
        self._check_nonnegative(group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if isinstance(betas, str) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            self._check_real({f"betas[{i}]": beta}, f"betas[{i}]")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid betas[{i}]={beta!r} (must be in [0, 1))")
        self._check_flags(group, "amsgrad", "maximize", "decoupled_weight_decay")

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        state = dict(self.state.get(p, {}))
        if not state:
            state.update(step=0.0, exp_avg=0.0, exp_avg_sq=0.0)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = 0.0
        state["step"] = t = state["step"] + 1.0
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        g = -p.grad if group["maximize"] else p.grad
        theta = p.data
        if wd != 0:
            if group["decoupled_weight_decay"]:
                theta = theta * (1 - lr * wd)
            else:
                g = g + wd * theta
        state["exp_avg"] = m = lerp(state["exp_avg"], g, 1 - beta1)
        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = v = max(state.get("max_exp_avg_sq", 0.0), v)
        step_size = lr / (1 - beta1**t)
        denom = math.sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
        return theta - step_size * (m / denom), state
