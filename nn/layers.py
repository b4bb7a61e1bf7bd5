"""Layers: micrograd's ``Neuron``, ``Layer`` and ``MLP``, PyTorch's ``Linear`` and ``Sequential``, and ``Maxout``.

A sample is a list of numbers or Values; a layer maps it to a list of Values,
or to a single ``Value`` when it has one output (as micrograd does).

- ``Neuron(nin, nonlin=True)``: y = act(b + sum_i w_i x_i), weights drawn
  from U(-1, 1) and bias 0 as in micrograd; ``act`` is ReLU by default
  (``activation=`` picks another) and the identity when ``nonlin=False``.
- ``Layer(nin, nout)``: ``nout`` neurons side by side.
- ``MLP(nin, nouts, activation="relu")``: layers of sizes nin -> nouts[0]
  -> ... with the activation on every hidden layer and a linear output.
- ``Linear(in_features, out_features)``: y = W x + b with PyTorch's default
  initialisation, W and b from U(-1/sqrt(in), 1/sqrt(in)).
- ``Sequential(*modules)``: applies modules in order; parameters named
  ``0.weight.1.2`` as in PyTorch.
- ``Maxout(nin, nout, k)``: y_j = max over k linear pieces (W_p x + b_p)_j.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autograd import Value

from .functional import maxout
from .module import Module
from .random import get_generator


def check_input(module: Module, x: Any, expected: int) -> list:
    """``x`` as a list of length ``expected``, or a ValueError/TypeError naming the module."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    if not isinstance(x, (list, tuple)):
        raise TypeError(
            f"{type(module).__name__}: expected a list of {expected} numbers or Values, "
            f"got {type(x).__name__}"
        )
    if len(x) != expected:
        raise ValueError(
            f"{type(module).__name__}: expected an input of length {expected}, got length {len(x)}"
        )
    return x


def _activation_module(activation: Any) -> Module | None:
    from .activations import get_activation

    return None if activation is None else get_activation(activation)


class Neuron(Module):
    """One unit: act(b + w . x), micrograd's neuron (ReLU unless ``nonlin=False``)."""

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: Any = "relu",
        generator: np.random.Generator | int | None = None,
    ) -> None:
        _check_size(self, "nin", nin)
        rng = get_generator(generator)
        self.w = [Value(float(v)) for v in rng.uniform(-1.0, 1.0, nin)]
        self.b = Value(0.0)
        self.nonlin = bool(nonlin)
        self.act = _activation_module(activation) if nonlin else None

    def forward(self, x: Sequence[Any]) -> Value:
        x = check_input(self, x, len(self.w))
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return self.act(act) if self.act is not None else act

    def extra_repr(self) -> str:
        act = type(self.act).__name__ if self.act is not None else "Linear"
        return f"{len(self.w)}, activation={act}"


class Layer(Module):
    """``nout`` neurons reading the same input; one output is returned as a single Value."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        _check_size(self, "nout", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        x = check_input(self, x, len(self.neurons[0].w))
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        first = self.neurons[0]
        return f"{len(first.w)}, {len(self.neurons)}, {first.extra_repr().split(', ', 1)[1]}"

    def __repr__(self) -> str:
        return f"Layer({self.extra_repr()})"


class MLP(Module):
    """A multi-layer perceptron: ``activation`` on hidden layers (ReLU by default), linear output."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Any = "relu",
        generator: np.random.Generator | int | None = None,
    ) -> None:
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        rng = get_generator(generator)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1,
                  activation=activation, generator=rng)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        sizes = [len(layer.neurons) for layer in self.layers]
        act = self.layers[0].neurons[0].act if len(self.layers) > 1 else None
        name = type(act).__name__ if act is not None else "none"
        return f"MLP({len(self.layers[0].neurons[0].w)}, {sizes}, activation={name})"


class Linear(Module):
    """y = W x + b, W of shape (out_features, in_features); PyTorch's default initialisation."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        generator: np.random.Generator | int | None = None,
    ) -> None:
        _check_size(self, "in_features", in_features)
        _check_size(self, "out_features", out_features)
        rng = get_generator(generator)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = [
            [Value(float(v)) for v in rng.uniform(-bound, bound, in_features)]
            for _ in range(out_features)
        ]
        self.bias = [Value(float(v)) for v in rng.uniform(-bound, bound, out_features)] if bias else None
        self.in_features, self.out_features = in_features, out_features

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        x = check_input(self, x, self.in_features)
        out = []
        for j, row in enumerate(self.weight):
            start = self.bias[j] if self.bias is not None else 0.0
            out.append(sum((w * xi for w, xi in zip(row, x)), start))
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after another; children and parameters named by position ('0.weight.0.1')."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        self._items = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self._items):
            yield str(i), m

    def forward(self, x: Any) -> Any:
        for m in self._items:
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)


class Maxout(Module):
    """y_j = max_p (W_p x + b_p)_j over ``k`` linear pieces (Goodfellow et al., 2013)."""

    def __init__(
        self, nin: int, nout: int, k: int = 2, generator: np.random.Generator | int | None = None
    ) -> None:
        _check_size(self, "k", k)
        rng = get_generator(generator)
        self.pieces = [Linear(nin, nout, generator=rng) for _ in range(k)]
        self.nin, self.nout, self.k = nin, nout, k

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        outs = [piece(x) for piece in self.pieces]
        if self.nout == 1:
            outs = [[o] for o in outs]
        result = [maxout([o[j] for o in outs]) for j in range(self.nout)]
        return result[0] if self.nout == 1 else result

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.nout}, k={self.k}"


def _check_size(module: Module, name: str, n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{type(module).__name__}: {name} must be a positive integer, got {n!r}")
