"""Layers: micrograd's ``Neuron``, ``Layer`` and ``MLP``; PyTorch's ``Linear``, ``Sequential``,
``ModuleList``, ``Identity`` and ``Flatten``; and ``Maxout``.

A sample is a list of numbers or Values; a layer maps it to a list of Values,
or to a single ``Value`` when it has one output (as micrograd does).

A *batch* is a list of samples (each a list), or a numpy array of shape
``(n, features)``, as PyTorch code passes one: ``model(X)`` then returns
the list of the n outputs, one per sample, each as that sample alone
would give it. So a one-output model maps a batch to a flat list of
Values, and a layer reading one feature takes such a flat list of n > 1
Values as n samples (a list of one is one sample).

- ``Neuron(nin, nonlin=True)``: y = act(b + sum_i w_i x_i), weights drawn
  from U(-1, 1) and bias 0 as in micrograd; ``act`` is ReLU by default
  (``activation=`` picks another) and the identity when ``nonlin=False``.
  Without ``generator=`` the weights come from Python's ``random`` module,
  ``random.uniform(-1, 1)`` each, as micrograd draws them, so ``random.seed``
  reproduces micrograd's models; with one, from that numpy generator
  (``nn.random.micrograd_uniform``). The PyTorch-style modules below draw
  from ``nn.manual_seed``'s generator instead.
- ``Layer(nin, nout)``: ``nout`` neurons side by side.
- ``MLP(nin, nouts, activation="relu")``: layers of sizes nin -> nouts[0]
  -> ... with the activation on every hidden layer and a linear output.
- ``Linear(in_features, out_features)``: y = W x + b with PyTorch's default
  initialisation, W and b from U(-1/sqrt(in), 1/sqrt(in)).
- ``Sequential(*modules)`` or ``Sequential(OrderedDict(name=module, ...))``:
  applies modules in order; parameters named ``0.weight.1.2`` (or
  ``fc1.weight.1.2``) as in PyTorch.
- ``ModuleList(modules)``: a list of modules whose parameters the model
  owns (named ``0.weight.1.2``); it has no ``forward``.
- ``Identity()``: returns its input; ``Flatten()``: each sample of a batch as
  one flat list, which leaves flat samples as they are.
- ``Maxout(nin, nout, k)``: y_j = max over k linear pieces (W_p x + b_p)_j.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import numpy as np

from autograd import Value
from autograd.scalar import Scalar

from .functional import maxout
from .module import Module
from .random import get_generator, micrograd_uniform

_ROW = (list, tuple, np.ndarray)

#: What a layer returns: a Value (a Dual in forward mode) for one output, a list of them for
#: several; for a batch, a list of those, one per sample.
Output = Scalar | list[Any]


def batch_of(x: Any, features: int) -> list[Any] | None:
    """The samples of ``x`` if it is a batch for a module reading ``features`` inputs, else None.

    A batch is a non-empty list (or tuple, or 2-D array) of lists; or, for
    ``features == 1``, a flat list of more than one number or Value: the
    outputs of a one-output layer, one per sample.
    """
    if isinstance(x, np.ndarray):
        if x.ndim != 2:
            return None
        x = x.tolist()
    if not isinstance(x, (list, tuple)) or not x:
        return None
    if isinstance(x[0], _ROW):  # the first element decides: one check per call on the hot path
        return list(x) if all(isinstance(s, _ROW) for s in x) else None
    return [[s] for s in x] if features == 1 and len(x) > 1 else None


def check_input(module: Module, x: Any, expected: int) -> Sequence[Any]:
    """``x`` as a list or tuple of ``expected`` items, or an error naming the module."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
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
        self.w = [Value(v) for v in micrograd_uniform(nin, generator)]
        self.b = Value(0.0)
        self.nonlin = bool(nonlin)
        self.act = _activation_module(activation) if nonlin else None

    def forward(self, x: Sequence[Any]) -> Output:
        rows = batch_of(x, len(self.w))
        if rows is not None:
            return [self.forward(row) for row in rows]
        x = check_input(self, x, len(self.w))
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return self.act(act) if self.act is not None else act

    def extra_repr(self) -> str:
        act = type(self.act).__name__ if self.act is not None else "Linear"
        return f"{len(self.w)}, activation={act}"


class Layer(Module):
    """``nout`` neurons reading the same input; one output is returned as a single Value."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        _check_size(self, "nout", nout)
        if kwargs.get("generator") is not None:  # an int seed: one generator for all neurons
            kwargs["generator"] = get_generator(kwargs["generator"])
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Output:
        rows = batch_of(x, len(self.neurons[0].w))
        if rows is not None:
            return [self.forward(row) for row in rows]
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
        rng = None if generator is None else get_generator(generator)  # None: Python's random
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1,
                  activation=activation, generator=rng)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Output:
        rows = batch_of(x, len(self.layers[0].neurons[0].w))
        if rows is not None:
            return [self.forward(row) for row in rows]
        out: Any = x
        for layer in self.layers:
            out = layer(out)
        return out

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

    def forward(self, x: Sequence[Any]) -> Output:
        rows = batch_of(x, self.in_features)
        if rows is not None:
            return [self.forward(row) for row in rows]
        x = check_input(self, x, self.in_features)
        out: list[Scalar] = []
        for j, row in enumerate(self.weight):
            start = self.bias[j] if self.bias is not None else 0.0
            total = sum((w * xi for w, xi in zip(row, x, strict=True)), start)
            out.append(cast(Scalar, total))  # in_features >= 1 terms: a node even from 0.0
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _module(container: Module, name: str, m: Any) -> Module:
    """``m`` if it is a Module, else a TypeError naming the container and the slot."""
    if not isinstance(m, Module):
        raise TypeError(f"{type(container).__name__}: item {name} is a {type(m).__name__}, not a Module")
    return m


class _Container(Module):
    """Child modules held in order in ``_items``, named by ``_names`` (positions unless given)."""

    _items: list[Module]

    def _child_names(self) -> list[str]:
        return [str(i) for i in range(len(self._items))]

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from zip(self._child_names(), self._items, strict=True)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._items))

    def _index(self, i: Any) -> int:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: indices must be integers or slices, "
                            f"got {type(i).__name__}")
        if not -len(self._items) <= i < len(self._items):
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for "
                             f"{len(self._items)} modules")
        return int(i) % len(self._items)


class Sequential(_Container):
    """Modules applied one after another, as ``torch.nn.Sequential``.

    ``Sequential(m0, m1, ...)`` names its children by position, so
    parameters are named ``0.weight.0.1``; ``Sequential(OrderedDict(fc1=...,
    act=...))`` (or a dict) names them by the keys (``fc1.weight.0.1``) and
    each child is also an attribute (``model.fc1``). ``model[i]`` is a child,
    ``model[i:j]`` a Sequential of those children.
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        named: list[tuple[str, object]]  # each child is checked by _module below
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            named = list(modules[0].items())
            for name, _ in named:
                _check_name(self, name)
            shown = [repr(name) for name, _ in named]
        else:
            named = [(str(i), m) for i, m in enumerate(modules)]
            shown = [name for name, _ in named]
        self._names = [name for name, _ in named]
        self._items = [_module(self, where, m) for where, (_, m) in zip(shown, named, strict=True)]

    def _child_names(self) -> list[str]:
        return list(self._names)

    def forward(self, x: Any) -> Any:
        for m in self._items:
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end, named by its position (PyTorch's ``str(len(self))``)."""
        name = str(len(self._items))
        if name in self._names:
            raise ValueError(f"Sequential.append: a child is already named {name!r}")
        self._items.append(_module(self, name, module))
        self._names.append(name)
        return self

    def __getitem__(self, i: int | slice) -> Module:
        if isinstance(i, slice):
            return Sequential(OrderedDict(list(zip(self._names, self._items, strict=True))[i]))
        return self._items[self._index(i)]

    def __getattr__(self, name: str) -> Module:
        names = self.__dict__.get("_names", ())
        if not name.startswith("_") and name in names:
            return self._items[names.index(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")


class ModuleList(_Container):
    """A list of modules whose parameters the owner holds, as ``torch.nn.ModuleList``.

    Children are named by position (``blocks.0.weight.1.2`` inside a module
    that sets ``self.blocks = ModuleList(...)``, the same names as a plain
    list of modules gets). It supports indexing, slicing (a new ModuleList),
    assignment, ``del``, ``len``, iteration, ``append``, ``extend`` and
    ``insert``; like PyTorch's, it has no ``forward``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        self._items = []
        if modules is not None:
            self.extend(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it and call its modules yourself"
        )

    def append(self, module: Module) -> ModuleList:
        self._items.append(_module(self, str(len(self._items)), module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, _Container):
            raise TypeError(f"ModuleList.extend: expected an iterable of Modules, "
                            f"got a single {type(modules).__name__}")
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend: expected an iterable of Modules, "
                            f"got {type(modules).__name__}")
        new = [_module(self, str(len(self._items) + i), m) for i, m in enumerate(modules)]
        self._items.extend(new)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (later children move up one name)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"ModuleList.insert: index must be an int, got {type(index).__name__}")
        self._items.insert(int(index), _module(self, str(index), module))

    def __getitem__(self, i: int | slice) -> Module:
        if isinstance(i, slice):
            return ModuleList(self._items[i])
        return self._items[self._index(i)]

    def __setitem__(self, i: int, module: Module) -> None:
        self._items[self._index(i)] = _module(self, str(i), module)

    def __delitem__(self, i: int | slice) -> None:
        if isinstance(i, slice):
            del self._items[i]
        else:
            del self._items[self._index(i)]


class Identity(Module):
    """Returns its input unchanged (``torch.nn.Identity``); arguments are accepted and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Each sample of a batch as one flat list, as ``torch.nn.Flatten()`` (start_dim=1).

    Everything below the first level is flattened in order: a batch of
    nested samples ``[[[1, 2], [3, 4]], ...]`` becomes ``[[1, 2, 3, 4], ...]``.
    A batch of flat samples, one flat sample and a single Value come back
    unchanged (PyTorch would refuse a 1-D input; here it is one flat sample).
    Only PyTorch's defaults ``start_dim=1, end_dim=-1`` are supported.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        if (start_dim, end_dim) != (1, -1):
            raise ValueError(
                "Flatten: only start_dim=1, end_dim=-1 (flatten each sample) is supported, "
                f"got start_dim={start_dim!r}, end_dim={end_dim!r}"
            )
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Any:
        if not isinstance(x, (list, tuple)):
            return x
        rows = [s for s in x if isinstance(s, (list, tuple))]
        if not any(isinstance(item, (list, tuple)) for row in rows for item in row):
            return x  # one flat sample, or a batch of them: nothing to flatten
        return [_flat(s) if isinstance(s, (list, tuple)) else s for s in x]

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _flat(sample: Sequence[Any]) -> list:
    """The leaves of a nested list, in order (depth first, without recursion)."""
    out, stack = [], [iter(sample)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, (list, tuple)):
            stack.append(iter(item))
        else:
            out.append(item)
    return out


_END = object()


def _check_name(container: Module, name: Any) -> None:
    """A child's name: a non-empty str without '.', as PyTorch's ``add_module`` requires."""
    if not isinstance(name, str):
        raise TypeError(f"{type(container).__name__}: a child's name must be a str, "
                        f"got {type(name).__name__} {name!r}")
    if not name or "." in name:
        raise ValueError(f"{type(container).__name__}: a child's name must be non-empty and "
                         f"contain no '.', got {name!r}")


class Maxout(Module):
    """y_j = max_p (W_p x + b_p)_j over ``k`` linear pieces (Goodfellow et al., 2013)."""

    def __init__(
        self, nin: int, nout: int, k: int = 2, generator: np.random.Generator | int | None = None
    ) -> None:
        _check_size(self, "k", k)
        rng = get_generator(generator)
        self.pieces = [Linear(nin, nout, generator=rng) for _ in range(k)]
        self.nin, self.nout, self.k = nin, nout, k

    def forward(self, x: Sequence[Any]) -> Output:
        rows = batch_of(x, self.nin)
        if rows is not None:
            return [self.forward(row) for row in rows]
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
