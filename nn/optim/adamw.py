"""``AdamW``: Adam with decoupled weight decay, as ``torch.optim.AdamW``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .adam import Adam
from .optimizer import ParamsT


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the parameter directly (Loshchilov and Hutter).

    For a parameter θ with gradient ∇, at step t = 1, 2, ... (m, v, v̂ start at 0)::

        g = -∇ if maximize else ∇
        θ = θ (1 - γ λ)                      weight decay λ, outside the moments
        m = β₁ m + (1 - β₁) g
        v = β₂ v + (1 - β₂) g²
        v̂ = max(v̂, v)                       if amsgrad (then v̂ replaces v below)
        θ = θ - (γ / (1 - β₁ᵗ)) m / (√v / √(1 - β₂ᵗ) + ε)

    It is ``Adam(..., decoupled_weight_decay=True)`` with PyTorch's AdamW
    default ``weight_decay=1e-2``; groups keep ``decoupled_weight_decay``
    True, also after ``load_state_dict``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad,
            maximize=maximize, decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
