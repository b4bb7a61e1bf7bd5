"""``NAdam``: Adam with Nesterov momentum (Dozat), as ``torch.optim.NAdam``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd import Value

from .optimizer import Optimizer, ParamsT, lerp


def check_betas(opt: Optimizer, group: Mapping[str, Any]) -> None:
    """``group['betas']`` must be a pair of finite numbers in [0, 1), as PyTorch's Adam family."""
    name = type(opt).__name__
    betas = group["betas"]
    if isinstance(betas, str) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        opt._check_real({f"betas[{i}]": beta}, f"betas[{i}]")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}: invalid betas[{i}]={beta!r} (must be in [0, 1))")


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam whose momentum looks one step ahead, with momentum decay.

    For a parameter θ with gradient ∇, at step t = 1, 2, ... (m, v start at
    0, the product Π at 1), with ψ = ``momentum_decay``::

        g = -∇ if maximize else ∇
        θ = θ (1 - γ λ)                      } weight decay λ (if λ != 0):
        g = g + λ θ                          } decoupled or L2
        μ_t = β₁ (1 - ½ 0.96^(t ψ))           μ_{t+1} = β₁ (1 - ½ 0.96^((t+1) ψ))
        Π = Π μ_t                            (Π_t = μ_1 ⋯ μ_t)
        m = β₁ m + (1 - β₁) g
        v = β₂ v + (1 - β₂) g²
        d = √(v / (1 - β₂ᵗ)) + ε
        θ = θ - γ (1 - μ_t) / (1 - Π_t) · g / d - γ μ_{t+1} / (1 - Π_t μ_{t+1}) · m / d

    The two updates are applied in that order and each is computed as
    PyTorch's ``addcdiv`` computes it, ``(c g) / d``, so trajectories agree
    with ``torch.optim.NAdam`` (``foreach=False``) to rounding. State per
    parameter: ``step`` (t), ``mu_product`` (Π_t), ``exp_avg`` (m),
    ``exp_avg_sq`` (v).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: Mapping[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas(self, group)
        self._check_flags(group, "decoupled_weight_decay", "maximize")

    def _update(self, p: Value, group: dict[str, Any]) -> tuple[float, dict[str, float]]:
        state = dict(self.state.get(p, {}))
        if not state:
            state.update(step=0.0, mu_product=1.0, exp_avg=0.0, exp_avg_sq=0.0)
        state["step"] = t = state["step"] + 1.0
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        psi = group["momentum_decay"]
        g = -p.grad if group["maximize"] else p.grad
        theta = p.data
        if wd != 0:
            if group["decoupled_weight_decay"]:
                theta = theta * (1 - lr * wd)
            else:
                g = g + wd * theta
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] = mu_product = state["mu_product"] * mu
        state["exp_avg"] = m = lerp(state["exp_avg"], g, 1 - beta1)
        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        denom = math.sqrt(v / (1 - beta2**t)) + group["eps"]
        theta = theta + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        theta = theta + (-lr * mu_next) / (1.0 - mu_product * mu_next) * m / denom
        return theta, state
