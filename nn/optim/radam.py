"""``RAdam``: Adam with a rectified adaptive learning rate (Liu et al.), as ``torch.optim.RAdam``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from autograd import Value

from .nadam import check_betas
from .optimizer import Optimizer, ParamsT, lerp


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019): Adam that is plain momentum SGD until v can be trusted.

    For a parameter θ with gradient ∇, at step t = 1, 2, ... (m, v start at 0)::

        g = -∇ if maximize else ∇
        θ = θ (1 - γ λ)                      } weight decay λ (if λ != 0):
        g = g + λ θ                          } decoupled or L2
        m = β₁ m + (1 - β₁) g
        v = β₂ v + (1 - β₂) g²
        m̂ = m / (1 - β₁ᵗ)
        ρ_∞ = 2 / (1 - β₂) - 1
        ρ_t = ρ_∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)
        if ρ_t > 5:
            l = √(1 - β₂ᵗ) / (√v + ε)
            r = √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
            θ = θ - m̂ γ l r
        else:
            θ = θ - m̂ γ

    ρ_t estimates how many gradients the average v really holds; below 5 its
    variance is too large and the step uses m̂ alone. Products are taken in
    PyTorch's order, so trajectories agree with ``torch.optim.RAdam``
    (``foreach=False``) to rounding. State per parameter: ``step`` (t),
    ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: Mapping[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "eps", "weight_decay")
        check_betas(self, group)
        self._check_flags(group, "decoupled_weight_decay", "maximize")

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        state = dict(self.state.get(p, {}))
        if not state:
            state.update(step=0.0, exp_avg=0.0, exp_avg_sq=0.0)
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
        bias_correction2 = 1 - beta2**t
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
        if rho_t > 5.0:
            adaptive = bias_correction2**0.5 / (math.sqrt(v) + group["eps"])
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            return theta - m_hat * lr * adaptive * rect, state
        return theta - m_hat * lr, state
