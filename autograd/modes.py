"""Context managers that change how operations are recorded: ``no_grad`` and ``detect_anomaly``.

Both are process-wide switches (like PyTorch's, which are per thread), they
nest, and each restores the previous state on exit, also when an exception
leaves the block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from . import value as _value


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside the block, new nodes record no parents: nothing is backpropagated through them.

    Used for parameter updates (optimizers) and inference, as ``torch.no_grad``.
    """
    before = (_value._grad_enabled, _value._anomaly)
    _value._set_modes(False, before[1])
    try:
        yield
    finally:
        _value._set_modes(*before)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Re-enable recording inside a ``no_grad`` block, as ``torch.enable_grad``."""
    before = (_value._grad_enabled, _value._anomaly)
    _value._set_modes(True, before[1])
    try:
        yield
    finally:
        _value._set_modes(*before)


def is_grad_enabled() -> bool:
    """Whether operations currently record their parents."""
    return _value._grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first non-finite value in forward or backward.

    Each node created inside the block remembers the user's source line that
    created it; the error names the op, its inputs and that line. Slower than
    normal mode: use it to hunt a NaN, then remove it.
    """
    before = (_value._grad_enabled, _value._anomaly)
    _value._set_modes(before[0], True)
    try:
        yield
    finally:
        _value._set_modes(*before)


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is active."""
    return _value._anomaly
