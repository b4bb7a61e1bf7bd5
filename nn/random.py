"""Seeded randomness for the whole nn package.

Every random draw in ``nn`` (initialisers, dropout masks, datasets, data
shuffling) comes from a ``numpy.random.Generator``: the one passed as
``generator=``, or else the package's default generator, which starts from
seed 0 so that a fresh process builds the same model every time.
``manual_seed(s)`` resets the default generator, as ``torch.manual_seed``.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0
_default = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to ``seed``; returns it."""
    global _default
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _default = np.random.default_rng(int(seed))
    return _default


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator=`` is given."""
    return _default


def get_generator(generator: np.random.Generator | int | None = None) -> np.random.Generator:
    """``generator`` itself, a new generator seeded with it (an int), or the default one."""
    if generator is None:
        return _default
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be a numpy Generator, an int seed or None, got {type(generator).__name__}"
    )
