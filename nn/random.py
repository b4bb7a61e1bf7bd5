"""Seeded randomness for the whole nn package.

Every random draw in ``nn`` (initialisers, dropout masks, datasets, data
shuffling) comes from a ``numpy.random.Generator``: the one passed as
``generator=``, or else the package's default generator, which starts from
seed 0 so that a fresh process builds the same model every time.
``manual_seed(s)`` resets the default generator, as ``torch.manual_seed``,
and seeds Python's ``random`` with ``s`` too (see below), so that one call
makes every module's initial weights reproducible.

One family is the exception: micrograd's ``Neuron``, ``Layer`` and ``MLP``.
Given no ``generator=``, they draw their weights from Python's ``random``
module, one ``random.uniform(-1, 1)`` per weight in micrograd's order
(``micrograd_uniform``), so that ``random.seed(s)`` followed by code written
for micrograd builds micrograd's very model. Given a ``generator=``, they use
it, as every other module does. Python's ``random`` starts unseeded, as in
micrograd: call ``random.seed`` or ``manual_seed`` for the same model every run.
"""

from __future__ import annotations

import random

import numpy as np

DEFAULT_SEED = 0
_default = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to ``seed`` and seed Python's ``random`` with it; returns the generator.

    Python's ``random`` is where micrograd's ``Neuron``, ``Layer`` and ``MLP``
    draw their weights when given no ``generator=`` (``micrograd_uniform``).
    """
    global _default
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _default = np.random.default_rng(int(seed))
    random.seed(int(seed))
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


def micrograd_uniform(n: int, generator: np.random.Generator | int | None = None) -> list[float]:
    """``n`` draws from U(-1, 1) for a micrograd-family module (``Neuron``, ``Layer``, ``MLP``).

    With ``generator`` (as ``get_generator`` takes it) they come from that
    numpy generator; without one, from Python's ``random`` module, one
    ``random.uniform(-1, 1)`` at a time, exactly as micrograd's ``Neuron``
    draws its weights, so ``random.seed`` reproduces micrograd's models.
    """
    if generator is None:
        return [random.uniform(-1.0, 1.0) for _ in range(n)]
    return [float(v) for v in get_generator(generator).uniform(-1.0, 1.0, n)]
