"""Loss modules, named as in ``torch.nn``: each wraps one loss function of ``nn.functional``.

``loss_fn = MSELoss(); loss = loss_fn(prediction, target)`` computes
``mse_loss(prediction, target, reduction=loss_fn.reduction)``. A prediction
is one Value (or number) with a number as target, or a batch: a list of
them with a list of targets of the same length (for ``CrossEntropyLoss`` and ``NLLLoss``,
a list of logits with an int, or a list of such lists with a list of ints).
Targets may also be nested as PyTorch's ``(n, 1)``: ``[[y1], [y2]]``.
``reduction`` is ``'mean'`` (the default), ``'sum'`` or ``'none'``, as in
PyTorch. The formulas are in the functions' docstrings; ``MaxMarginLoss``
(micrograd's hinge loss) is ours, not PyTorch's.
"""

from __future__ import annotations

from typing import Any

from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss with a ``reduction``; subclasses name their function in ``_function``."""

    _function: Any = None

    def __init__(self, reduction: str = "mean") -> None:
        if not isinstance(reduction, str) or reduction not in F.REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', "
                f"got {reduction!r}"
            )
        self.reduction = reduction

    def forward(self, prediction: Any, target: Any) -> Any:
        return self._function(prediction, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, mean of (p - y)^2 (``torch.nn.MSELoss``)."""

    _function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error, mean of |p - y| (``torch.nn.L1Loss``)."""

    _function = staticmethod(F.l1_loss)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities, logs clamped at -100 (``torch.nn.BCELoss``)."""

    _function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Cross-entropy of logits: (1 - y) x - logsigmoid(x) (``torch.nn.BCEWithLogitsLoss``)."""

    _function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """log-sum-exp(x) - x_t for integer classes t (``torch.nn.CrossEntropyLoss``).

    ``label_smoothing`` = ε mixes the target with the uniform distribution:
    (1 - ε) nll + (ε / C) sum_j -log_softmax(x)_j, PyTorch's formula.
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = F._number(label_smoothing, "CrossEntropyLoss", "label_smoothing")
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError("CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, "
                             f"got {self.label_smoothing}")

    def forward(self, prediction: Any, target: Any) -> Any:
        return F.cross_entropy(prediction, target, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        smoothing = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return f"reduction={self.reduction!r}{smoothing}"


class NLLLoss(_Loss):
    """-x_t for log-probabilities x and integer classes t (``torch.nn.NLLLoss``).

    ``NLLLoss()(LogSoftmax()(x), t)`` equals ``CrossEntropyLoss()(x, t)``.
    """

    _function = staticmethod(F.nll_loss)


class MaxMarginLoss(_Loss):
    """micrograd's hinge loss, mean of relu(1 - y s) for labels y = +-1; not in PyTorch."""

    _function = staticmethod(F.max_margin_loss)


class HuberLoss(_Loss):
    """0.5 d^2 if |d| < delta else delta (|d| - delta / 2), d = p - y (``torch.nn.HuberLoss``)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = F._number(delta, "HuberLoss", "delta")
        if not self.delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {self.delta}")

    def forward(self, prediction: Any, target: Any) -> Any:
        return F.huber_loss(prediction, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta if |d| < beta else |d| - beta / 2, d = p - y (``torch.nn.SmoothL1Loss``)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = F._number(beta, "SmoothL1Loss", "beta")
        if self.beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {self.beta}")

    def forward(self, prediction: Any, target: Any) -> Any:
        return F.smooth_l1_loss(prediction, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, beta={self.beta}"


__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "MaxMarginLoss",
    "NLLLoss",
    "SmoothL1Loss",
]
