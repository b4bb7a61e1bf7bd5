"""Context managers that change how operations are recorded: ``no_grad`` and ``detect_anomaly``.

Modes belong to the thread (or asyncio task) that enters them, as PyTorch's
grad mode is thread-local: while one thread is inside ``no_grad()``, another
records and backpropagates as usual. They live in a context variable, so a
new thread starts in the default modes (grad on, no anomaly detection) and an
asyncio task starts in the modes of the code that created it. They nest, and
each restores the previous state on exit, also when an exception leaves the
block.
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
    modes = _value._modes()
    token = _value._enter(False, modes.anomaly, modes.recorder)
    try:
        yield
    finally:
        _value._MODES.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Re-enable recording inside a ``no_grad`` block, as ``torch.enable_grad``."""
    modes = _value._modes()
    token = _value._enter(True, modes.anomaly, modes.recorder)
    try:
        yield
    finally:
        _value._MODES.reset(token)


def is_grad_enabled() -> bool:
    """Whether operations in the calling thread (or task) currently record their parents."""
    return _value._modes().grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first non-finite value in forward or backward.

    Each node created inside the block remembers the user's source line that
    created it; the error names the op, its inputs and that line. Slower than
    normal mode: use it to hunt a NaN, then remove it.
    """
    modes = _value._modes()
    token = _value._enter(modes.grad_enabled, True, modes.recorder)
    try:
        yield
    finally:
        _value._MODES.reset(token)


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is active in the calling thread (or task)."""
    return _value._modes().anomaly
