"""Graduating to PyTorch: ``to_torch(model)`` and ``from_torch(module)``, same layers, same weights.

A model that outgrows a scalar engine moves to PyTorch (a GPU, many machines)
with its weights; a PyTorch model of the same layers comes back to be drawn
and stepped through. Both directions build the other side's modules one by
one, in float64, copying every number exactly, so that outputs agree to
rounding (~1e-16) and gradients too. Needs torch (the ``export`` extra);
``import nn`` does not import it, ``nn.export`` does.

==========================================  ==========================================
``nn`` (this course)                        ``torch.nn``
==========================================  ==========================================
``Linear``                                  ``Linear``
``Neuron``, ``Layer``                       ``Linear`` (1 or nout outputs), then the
                                            activation: ``Sequential(Linear, act)``
``MLP``                                     ``Sequential(Linear, act, ..., Linear)``
``Sequential`` (names kept), ``ModuleList`` ``Sequential``, ``ModuleList``
``Identity``, ``Flatten``                   ``Identity``, ``Flatten``
``Dropout(p)``, ``BatchNorm1d(...)``        the same, with running statistics
``Sigmoid Tanh Hardsigmoid ReLU SiLU``      the same
``LogSigmoid``, ``Softmax``, ``LogSoftmax`` the same (``dim`` kept)
``Hardtanh LeakyReLU ELU Softplus PReLU``   the same, with the same hyperparameters
``GELU('none' | 'tanh')``                   ``GELU`` with the same ``approximate``
``Swish(1)``                                ``SiLU`` (the same function)
``HardLogistic``, ``Swish(beta)``,          small modules defined here: ``HardLogistic``,
``GELU('sigmoid')``, ``Maxout``             ``Swish``, ``SigmoidGELU``, ``Maxout``
==========================================  ==========================================

``from_torch`` maps each right-hand module back (a ``Sequential(Linear,
act)`` stays a ``Sequential``: ``MLP``, ``Neuron`` and ``Layer`` come back as
the PyTorch-shaped equivalent, with the same function and weights). Anything
else is refused with a ``TypeError`` naming its class, also a subclass of a
supported class (its ``forward`` may differ), and a module of your own with
its own ``forward``: export its parts and write the ``forward`` in PyTorch.
Training flags (``train()``/``eval()``) are copied module by module.

Where the sides could differ: a ``Layer`` whose neurons have different
activations cannot be one torch activation (a ValueError), except PReLU
neurons with one slope each, which become one ``PReLU(nout)``. Dropout
draws its masks from a different random stream on each side.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, cast

try:
    import torch
    from torch import nn as tnn
except ImportError as exc:  # pragma: no cover - the export extra installs torch
    raise ImportError(
        "nn.export needs PyTorch: pip install 'backprop-course[export]' (torch==2.13.0)"
    ) from exc

from autograd import Value

from . import activations as act
from . import layers, regularization
from .functional import _GELU_SIGMOID_SCALE
from .module import Module

__all__ = ["HardLogistic", "Maxout", "SigmoidGELU", "Swish", "from_torch", "to_torch"]

DTYPE = torch.float64


# --------------------------------------------------------------------------- torch twins
# The course's modules that torch.nn lacks, written with torch.nn: the same formula, op for op,
# as the course's function, so that values and gradients agree to rounding.


class HardLogistic(tnn.Module):
    """The course's hard logistic: hardtanh(x / 4 + 1/2, 0, 1), gradient 0 at the corners."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return tnn.functional.hardtanh(0.25 * x + 0.5, 0.0, 1.0)


class Swish(tnn.Module):
    """Swish x sigmoid(beta x) in PyTorch; ``beta`` is a parameter when ``learnable``."""

    def __init__(self, beta: float = 1.0, learnable: bool = False) -> None:
        super().__init__()
        self.learnable = bool(learnable)
        self.beta: tnn.Parameter | float
        if self.learnable:
            self.beta = tnn.Parameter(torch.tensor(float(beta), dtype=DTYPE))
        else:
            self.beta = float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self) -> str:
        return f"beta={float(self.beta)}, learnable={self.learnable}"


class SigmoidGELU(tnn.Module):
    """The sigmoid approximation of GELU, x sigmoid(1.702 x) (the course's ``GELU('sigmoid')``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(_GELU_SIGMOID_SCALE * x)


class Maxout(tnn.Module):
    """Maxout in PyTorch: the elementwise maximum of ``k`` Linear pieces, folded left to right.

    ``torch.maximum`` folded as the course's ``maxout`` folds ``Value.maximum``,
    so ties split the gradient the same way.
    """

    def __init__(self, nin: int, nout: int, k: int = 2) -> None:
        super().__init__()
        self.nin, self.nout, self.k = nin, nout, k
        self.pieces = tnn.ModuleList(tnn.Linear(nin, nout, dtype=DTYPE) for _ in range(k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pieces[0](x)
        for piece in self.pieces[1:]:
            out = torch.maximum(out, piece(x))
        return out

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.nout}, k={self.k}"


# --------------------------------------------------------------------------- to PyTorch


class _Links:
    """Pairs (torch parameter or buffer, the course's numbers in its shape), filled at the end."""

    def __init__(self) -> None:
        self.params: list[tuple[torch.Tensor, Any]] = []

    def add(self, tensor: torch.Tensor, values: Any) -> None:
        self.params.append((tensor, values))

    def fill(self, grads: bool) -> None:
        with torch.no_grad():
            for tensor, values in self.params:
                tensor.copy_(torch.tensor(_nested(values, "data"), dtype=DTYPE))
                if grads:
                    tensor.grad = torch.tensor(_nested(values, "grad"), dtype=DTYPE)


def _nested(values: Any, attr: str) -> Any:
    """``values`` (Values, possibly in nested lists) as floats: their ``data`` or ``grad``."""
    if isinstance(values, (list, tuple)):
        return [_nested(v, attr) for v in values]
    return float(getattr(values, attr))


def to_torch(model: Module, grads: bool = False) -> tnn.Module:
    """A ``torch.nn.Module`` (float64) with ``model``'s architecture and weights.

    Every parameter and running statistic is copied exactly; with ``grads``
    each parameter's ``.grad`` is copied too (to compare one backward pass
    with PyTorch's). The result owns its tensors: changing it leaves
    ``model`` alone. See the module docstring for the mapping.
    """
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: expected an nn.Module of this course, got {_name(model)}")
    links = _Links()
    module = _export(model, links)
    links.fill(bool(grads))
    return module


def _export(m: Module, links: _Links) -> tnn.Module:
    """The torch module for ``m``; its training flag set as ``m``'s, its parameters linked."""
    rule = _TO_TORCH.get(type(m))
    if rule is None:
        raise TypeError(_refusal("to_torch", m, _TO_TORCH))
    out = rule(m, links)
    out.training = m.training
    return out


def _linear(nin: int, rows: Sequence[Sequence[Value]], bias: Sequence[Value] | None,
            links: _Links) -> tnn.Linear:
    """``torch.nn.Linear`` with weight[j][i] = rows[j][i] and bias[j] = bias[j]."""
    out = tnn.Linear(nin, len(rows), bias=bias is not None, dtype=DTYPE)
    links.add(out.weight, [list(r) for r in rows])
    if bias is not None:
        links.add(out.bias, list(bias))
    return out


def _export_linear(m: layers.Linear, links: _Links) -> tnn.Module:
    return _linear(m.in_features, m.weight, m.bias, links)


def _with_activation(linear: tnn.Linear, activation: tnn.Module | None,
                     training: bool) -> tnn.Module:
    linear.training = training
    return linear if activation is None else tnn.Sequential(linear, activation)


def _export_neuron(m: layers.Neuron, links: _Links) -> tnn.Module:
    linear = _linear(len(m.w), [m.w], [m.b], links)
    return _with_activation(linear, _layer_activation([m], m, links), m.training)


def _export_layer(m: layers.Layer, links: _Links) -> tnn.Module:
    linear = _linear(len(m.neurons[0].w), [n.w for n in m.neurons], [n.b for n in m.neurons], links)
    return _with_activation(linear, _layer_activation(m.neurons, m, links), m.training)


def _export_mlp(m: layers.MLP, links: _Links) -> tnn.Module:
    items: list[tnn.Module] = []
    for layer in m.layers:
        part = _export_layer(layer, links)
        items.extend(part if isinstance(part, tnn.Sequential) else [part])
    return tnn.Sequential(*items)


def _layer_activation(neurons: Sequence[layers.Neuron], owner: Module,
                      links: _Links) -> tnn.Module | None:
    """The one torch activation for neurons side by side, or a ValueError saying why not."""
    acts = [n.act for n in neurons]
    first = acts[0]
    if all(a is None for a in acts):
        return None
    if first is not None:  # else some neurons have an activation and the first has none
        if all(a is first for a in acts):
            return _export(first, links)
        prelus = [a for a in acts if type(a) is act.PReLU and len(a.weight) == 1]
        if len(prelus) == len(acts):  # one slope per neuron
            out = tnn.PReLU(len(acts), dtype=DTYPE)
            links.add(out.weight, [a.weight[0] for a in prelus])
            out.training = first.training
            return out
        if all(a is not None and type(a) is type(first) and not a.parameters()
               and a.extra_repr() == first.extra_repr() for a in acts):
            return _export(first, links)
    kinds = sorted({"none" if a is None else repr(a) for a in acts})
    raise ValueError(
        f"to_torch: the neurons of {type(owner).__name__} have different activations "
        f"({', '.join(kinds)}); a torch Linear is followed by one activation for all its outputs"
    )


def _export_sequential(m: layers.Sequential, links: _Links) -> tnn.Module:
    return tnn.Sequential(OrderedDict((name, _export(c, links)) for name, c in m.named_children()))


def _export_module_list(m: layers.ModuleList, links: _Links) -> tnn.Module:
    return tnn.ModuleList(_export(c, links) for c in m)


def _export_maxout(m: layers.Maxout, links: _Links) -> tnn.Module:
    out = Maxout(m.nin, m.nout, m.k)
    for torch_piece, ours in zip(out.pieces, m.pieces, strict=True):
        piece = cast(tnn.Linear, torch_piece)  # Maxout.__init__ makes every piece a Linear
        links.add(piece.weight, ours.weight)
        links.add(piece.bias, ours.bias)
        piece.training = ours.training
    return out


def _export_prelu(m: act.PReLU, links: _Links) -> tnn.Module:
    out = tnn.PReLU(len(m.weight), dtype=DTYPE)
    links.add(out.weight, list(m.weight))
    return out


def _export_swish(m: act.Swish, links: _Links) -> tnn.Module:
    beta = m.beta
    if not isinstance(beta, Value):  # a constant: learnable=False
        return tnn.SiLU() if beta == 1.0 else Swish(beta)
    out = Swish(beta.data, learnable=True)
    links.add(cast(tnn.Parameter, out.beta), beta)  # learnable=True: beta is a Parameter
    return out


def _export_gelu(m: act.GELU, links: _Links) -> tnn.Module:
    return SigmoidGELU() if m.approximate == "sigmoid" else tnn.GELU(approximate=m.approximate)


def _softmax_dim(m: Module) -> int:
    dim = getattr(m, "dim", -1)
    return -1 if dim is None else dim  # None is -1 for a sample or a batch, as in PyTorch


def _export_batchnorm(m: regularization.BatchNorm1d, links: _Links) -> tnn.Module:
    out = tnn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                          track_running_stats=m.track_running_stats,
                          bias=m.bias is not None, dtype=DTYPE)
    if m.weight is not None:
        links.add(out.weight, m.weight)
    if m.bias is not None:
        links.add(out.bias, m.bias)
    if m.track_running_stats:
        mean, var, count = m.running_mean, m.running_var, m.num_batches_tracked
        if mean is None or var is None or count is None:
            raise ValueError(
                "to_torch: BatchNorm1d has track_running_stats=True but its running statistics "
                "are None; call reset_running_stats()"
            )
        torch_mean, torch_var, torch_count = _running_stats(out, "to_torch")
        torch_mean.copy_(torch.tensor(mean, dtype=DTYPE))
        torch_var.copy_(torch.tensor(var, dtype=DTYPE))
        torch_count.fill_(int(count))
    return out


def _running_stats(t: tnn.BatchNorm1d, fn: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A torch BatchNorm1d's running_mean, running_var and num_batches_tracked, all present."""
    mean, var, count = t.running_mean, t.running_var, t.num_batches_tracked
    if mean is None or var is None or count is None:
        raise ValueError(
            f"{fn}: torch BatchNorm1d has track_running_stats=True but its running statistics "
            "are None"
        )
    return mean, var, count


def _fixed(factory: Callable[[Any], tnn.Module]) -> Callable[[Any, _Links], tnn.Module]:
    """A rule for a module without parameters (``factory`` reads its class's own attributes)."""
    return lambda m, links: factory(m)


_TO_TORCH: dict[type, Callable[[Any, _Links], tnn.Module]] = {
    layers.Linear: _export_linear,
    layers.Neuron: _export_neuron,
    layers.Layer: _export_layer,
    layers.MLP: _export_mlp,
    layers.Sequential: _export_sequential,
    layers.ModuleList: _export_module_list,
    layers.Identity: _fixed(lambda m: tnn.Identity()),
    layers.Flatten: _fixed(lambda m: tnn.Flatten()),
    layers.Maxout: _export_maxout,
    regularization.Dropout: _fixed(lambda m: tnn.Dropout(m.p)),
    regularization.BatchNorm1d: _export_batchnorm,
    act.Sigmoid: _fixed(lambda m: tnn.Sigmoid()),
    act.Tanh: _fixed(lambda m: tnn.Tanh()),
    act.Hardsigmoid: _fixed(lambda m: tnn.Hardsigmoid()),
    act.Hardtanh: _fixed(lambda m: tnn.Hardtanh(m.min_val, m.max_val)),
    act.HardLogistic: _fixed(lambda m: HardLogistic()),
    act.ReLU: _fixed(lambda m: tnn.ReLU()),
    act.LeakyReLU: _fixed(lambda m: tnn.LeakyReLU(m.negative_slope)),
    act.PReLU: _export_prelu,
    act.ELU: _fixed(lambda m: tnn.ELU(m.alpha)),
    act.Softplus: _fixed(lambda m: tnn.Softplus(m.beta, m.threshold)),
    act.SiLU: _fixed(lambda m: tnn.SiLU()),
    act.Swish: _export_swish,
    act.GELU: _export_gelu,
    act.LogSigmoid: _fixed(lambda m: tnn.LogSigmoid()),
    act.Softmax: _fixed(lambda m: tnn.Softmax(dim=_softmax_dim(m))),
    act.LogSoftmax: _fixed(lambda m: tnn.LogSoftmax(dim=_softmax_dim(m))),
}


# --------------------------------------------------------------------------- from PyTorch


def from_torch(module: tnn.Module, grads: bool = False) -> Module:
    """The course's module with ``module``'s architecture and weights (the reverse of ``to_torch``).

    Weights are read exactly (float32 ones as the float64 numbers they are);
    with ``grads`` each parameter's ``.grad`` is copied too (0.0 where it is
    None). Unsupported modules are refused with a TypeError naming the torch
    class.
    """
    if not isinstance(module, tnn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {_name(module)}")
    return _import(module, bool(grads))


def _import(t: tnn.Module, grads: bool) -> Module:
    rule = _FROM_TORCH.get(type(t))
    if rule is None:
        raise TypeError(_refusal("from_torch", t, _FROM_TORCH))
    out = rule(t, grads)
    out.training = t.training
    return out


def _read(values: list[Any] | None, tensor: torch.Tensor | None, grads: bool) -> None:
    """Set the Values in ``values`` (nested as ``tensor``) to its numbers, and grads if asked."""
    if values is None or tensor is None:  # both sides were built with the same flags
        ours, theirs = ("None" if v is None else "set" for v in (values, tensor))
        raise ValueError(
            f"from_torch: a parameter is None on one side only (ours: {ours}, torch's: {theirs})"
        )
    data = tensor.detach().to("cpu", DTYPE).tolist()
    grad = None
    if grads and tensor.grad is not None:
        grad = tensor.grad.detach().to("cpu", DTYPE).tolist()
    _assign(values, data, grad, grads)


def _assign(values: Any, data: Any, grad: Any, grads: bool) -> None:
    if isinstance(values, list):
        for i, v in enumerate(values):
            _assign(v, data[i], None if grad is None else grad[i], grads)
        return
    values.data = data
    if grads:
        values.grad = 0.0 if grad is None else grad


def _import_linear(t: tnn.Linear, grads: bool) -> Module:
    # a fixed generator: building the module must not advance the package's default stream
    out = layers.Linear(t.in_features, t.out_features, bias=t.bias is not None, generator=0)
    _read(out.weight, t.weight, grads)
    if t.bias is not None:
        _read(out.bias, t.bias, grads)
    return out


def _import_sequential(t: tnn.Sequential, grads: bool) -> Module:
    named = [(name, _import(c, grads)) for name, c in t.named_children()]
    if [name for name, _ in named] == [str(i) for i in range(len(named))]:
        return layers.Sequential(*[c for _, c in named])
    return layers.Sequential(OrderedDict(named))


def _import_prelu(t: tnn.PReLU, grads: bool) -> Module:
    out = act.PReLU(t.num_parameters)
    _read(out.weight, t.weight, grads)
    return out


def _import_swish(t: Swish, grads: bool) -> Module:
    beta = t.beta
    if not isinstance(beta, torch.Tensor):  # a constant: learnable=False
        return act.Swish(beta)
    out = act.Swish(learnable=True)
    _read_scalar(cast(Value, out.beta), beta, grads)  # learnable=True: beta is a Value
    return out


def _read_scalar(value: Value, tensor: torch.Tensor, grads: bool) -> None:
    value.data = float(tensor.detach())
    if grads:
        value.grad = 0.0 if tensor.grad is None else float(tensor.grad)


def _import_maxout(t: Maxout, grads: bool) -> Module:
    out = layers.Maxout(t.nin, t.nout, t.k, generator=0)
    for piece, torch_piece in zip(out.pieces, t.pieces, strict=True):
        theirs = cast(tnn.Linear, torch_piece)  # Maxout.__init__ makes every piece a Linear
        _read(piece.weight, theirs.weight, grads)
        _read(piece.bias, theirs.bias, grads)
        piece.training = theirs.training
    return out


def _import_batchnorm(t: tnn.BatchNorm1d, grads: bool) -> Module:
    out = regularization.BatchNorm1d(t.num_features, eps=t.eps, momentum=t.momentum,
                                     affine=t.affine, track_running_stats=t.track_running_stats,
                                     bias=t.bias is not None)
    if t.weight is not None:
        _read(out.weight, t.weight, grads)
    if t.bias is not None:
        _read(out.bias, t.bias, grads)
    if t.track_running_stats:
        mean, var, count = _running_stats(t, "from_torch")
        out.running_mean = mean.detach().to("cpu", DTYPE).tolist()
        out.running_var = var.detach().to("cpu", DTYPE).tolist()
        out.num_batches_tracked = int(count)
    return out


def _import_gelu(t: tnn.GELU, grads: bool) -> Module:
    return act.GELU(t.approximate)


def _plain(factory: Callable[[Any], Module]) -> Callable[[Any, bool], Module]:
    """A rule for a torch module without parameters."""
    return lambda t, grads: factory(t)


_FROM_TORCH: dict[type, Callable[[Any, bool], Module]] = {
    tnn.Linear: _import_linear,
    tnn.Sequential: _import_sequential,
    tnn.ModuleList: lambda t, grads: layers.ModuleList(_import(c, grads) for c in t),
    tnn.Identity: _plain(lambda t: layers.Identity()),
    tnn.Flatten: _plain(lambda t: layers.Flatten(t.start_dim, t.end_dim)),
    Maxout: _import_maxout,
    tnn.Dropout: _plain(lambda t: regularization.Dropout(t.p)),
    tnn.BatchNorm1d: _import_batchnorm,
    tnn.Sigmoid: _plain(lambda t: act.Sigmoid()),
    tnn.Tanh: _plain(lambda t: act.Tanh()),
    tnn.Hardsigmoid: _plain(lambda t: act.Hardsigmoid()),
    tnn.Hardtanh: _plain(lambda t: act.Hardtanh(t.min_val, t.max_val)),
    HardLogistic: _plain(lambda t: act.HardLogistic()),
    tnn.ReLU: _plain(lambda t: act.ReLU()),
    tnn.LeakyReLU: _plain(lambda t: act.LeakyReLU(t.negative_slope)),
    tnn.PReLU: _import_prelu,
    tnn.ELU: _plain(lambda t: act.ELU(t.alpha)),
    tnn.Softplus: _plain(lambda t: act.Softplus(t.beta, t.threshold)),
    tnn.SiLU: _plain(lambda t: act.SiLU()),
    Swish: _import_swish,
    tnn.GELU: _import_gelu,
    SigmoidGELU: _plain(lambda t: act.GELU("sigmoid")),
    tnn.LogSigmoid: _plain(lambda t: act.LogSigmoid()),
    tnn.Softmax: _plain(lambda t: act.Softmax(dim=t.dim)),
    tnn.LogSoftmax: _plain(lambda t: act.LogSoftmax(dim=t.dim)),
}


# --------------------------------------------------------------------------- messages


def _name(x: Any) -> str:
    """A class as users write it: ``torch.nn.Conv1d``, ``nn.MLP``, ``mymodule.Net``."""
    cls = x if isinstance(x, type) else type(x)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    if module.startswith("torch.nn.modules"):
        return f"torch.nn.{cls.__qualname__}"
    if module.split(".")[0] == "nn" and getattr(sys.modules["nn"], cls.__qualname__, None) is cls:
        return f"nn.{cls.__qualname__}"
    return f"{module}.{cls.__qualname__}"


def _refusal(fn: str, m: Any, table: dict) -> str:
    supported = ", ".join(sorted({_name(cls) for cls in table}))
    subclass = next((cls for cls in table if isinstance(m, cls)), None)
    if subclass is not None:
        why = f"it subclasses {_name(subclass)}, and its forward() may differ"
    elif fn == "to_torch":
        why = ("it has no PyTorch counterpart here (a module with its own forward(): export "
               "its parts and write that forward with torch.nn)")
    else:
        why = "it has no counterpart in the course's nn"
    return f"{fn}: cannot convert {_name(m)}: {why}. Supported: {supported}"
