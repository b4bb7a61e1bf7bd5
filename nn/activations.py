"""Activation modules, one per function of ``nn.functional``, named as in ``torch.nn``.

Each module applies its function to one ``Value`` (or number) or to a list
of them (nested lists too) and returns the same shape; ``Softmax`` and
``LogSoftmax`` take one sample (a list) or a batch (a list of lists). The
math, PyTorch's defaults and the conventions at kinks are in the functions'
docstrings (``nn.functional``); ``repr`` shows the arguments, as PyTorch's.

Two modules hold parameters: ``PReLU`` (its slopes, ``weight``) and
``Swish(learnable=True)`` (its ``beta``). Two are ours, not PyTorch's:
``HardLogistic`` (the course's piecewise-linear sigmoid) and ``Swish``. The
course's hard tanh is PyTorch's ``Hardtanh`` with its default bounds.

``ACTIVATIONS`` maps lowercase names (the function names: ``'relu'``,
``'leaky_relu'``, ``'hard_tanh'``, which is ``'hardtanh'``) to classes; ``get_activation`` turns a
name, a class or a module into a module, which is what the layers call.
"""

from __future__ import annotations

from typing import Any

from autograd import Value

from . import functional as F
from .module import Module


class Sigmoid(Module):
    """sigma(x) = 1 / (1 + e^-x), elementwise (``torch.nn.Sigmoid``)."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise (``torch.nn.Tanh``)."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class Hardsigmoid(Module):
    """relu6(x + 3) / 6: slope 1/6 on (-3, 3) (``torch.nn.Hardsigmoid``)."""

    def forward(self, x: Any) -> Any:
        return F.hardsigmoid(x)


class Hardtanh(Module):
    """clamp(x, min_val, max_val), gradient 0 at the corners (``torch.nn.Hardtanh``).

    With its defaults it is the course's hard tanh max(min(x, 1), -1) (``F.hard_tanh``).
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        self.min_val = F._number(min_val, "Hardtanh", "min_val")
        self.max_val = F._number(max_val, "Hardtanh", "max_val")
        if not self.min_val < self.max_val:
            raise ValueError(
                f"Hardtanh: min_val must be below max_val, got {self.min_val} and {self.max_val}"
            )

    def forward(self, x: Any) -> Any:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class HardLogistic(Module):
    """The course's hard logistic max(min(x/4 + 1/2, 1), 0): slope 1/4, not Hardsigmoid's 1/6."""

    def forward(self, x: Any) -> Any:
        return F.hard_logistic(x)


class ReLU(Module):
    """max(x, 0), with relu'(0) = 0 (``torch.nn.ReLU``)."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x (``torch.nn.LeakyReLU``, default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = F._number(negative_slope, "LeakyReLU", "negative_slope")

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """x if x > 0 else a * x with learnable slopes a (``torch.nn.PReLU``).

    ``num_parameters=1`` (the default) shares one slope across all inputs;
    ``num_parameters=n`` holds one slope per unit and expects samples of
    length n. Each slope starts at ``init`` (0.25, PyTorch's default). The
    slopes are the parameter list ``weight``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        if (
            isinstance(num_parameters, bool)
            or not isinstance(num_parameters, int)
            or num_parameters < 1
        ):
            raise ValueError(
                f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}"
            )
        a = F._number(init, "PReLU", "init")
        self.weight = [Value(a) for _ in range(num_parameters)]

    def forward(self, x: Any) -> Any:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={len(self.weight)}"


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1) (``torch.nn.ELU``, default alpha 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = F._number(alpha, "ELU", "alpha")

    def forward(self, x: Any) -> Any:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold (``torch.nn.Softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = F._number(beta, "Softplus", "beta")
        self.threshold = F._number(threshold, "Softplus", "threshold")
        if self.beta == 0:
            raise ValueError("Softplus: beta must be non-zero, got 0.0")

    def forward(self, x: Any) -> Any:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """x sigmoid(x) (``torch.nn.SiLU``; ``Swish`` with beta = 1)."""

    def forward(self, x: Any) -> Any:
        return F.silu(x)


class Swish(Module):
    """x sigmoid(beta x) (Ramachandran et al., 2017); not in PyTorch.

    With ``learnable=True``, beta is a parameter (a ``Value`` named ``beta``)
    trained with the rest of the model; otherwise it is a constant.
    """

    def __init__(self, beta: float = 1.0, learnable: bool = False) -> None:
        b = F._number(beta, "Swish", "beta")
        self.learnable = bool(learnable)
        self.beta: Value | float = Value(b) if self.learnable else b

    def forward(self, x: Any) -> Any:
        return F.swish(x, self.beta)

    def extra_repr(self) -> str:
        beta = self.beta.data if isinstance(self.beta, Value) else self.beta
        return f"beta={beta}, learnable={self.learnable}"


class GELU(Module):
    """x Phi(x), exact or approximated (``torch.nn.GELU``; ``'sigmoid'`` is ours)."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in F.GELU_APPROXIMATIONS:
            raise ValueError(
                f"GELU: approximate must be 'none', 'tanh' or 'sigmoid', got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class LogSigmoid(Module):
    """log(sigmoid(x)), stable (``torch.nn.LogSigmoid``)."""

    def forward(self, x: Any) -> Any:
        return F.logsigmoid(x)


class Softmax(Module):
    """softmax over one sample, or each row of a batch (``torch.nn.Softmax(dim=-1)``).

    ``dim=0`` normalises each column of a batch instead; ``None`` is -1.
    """

    def __init__(self, dim: int | None = -1) -> None:
        self.dim = _check_dim(self, dim)

    def forward(self, x: Any) -> Any:
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return "" if self.dim == -1 else f"dim={self.dim}"


class LogSoftmax(Module):
    """log_softmax over one sample, or each row of a batch (``torch.nn.LogSoftmax(dim=-1)``).

    ``dim=0`` works on each column of a batch instead; ``None`` is -1.
    """

    def __init__(self, dim: int | None = -1) -> None:
        self.dim = _check_dim(self, dim)

    def forward(self, x: Any) -> Any:
        return F.log_softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return "" if self.dim == -1 else f"dim={self.dim}"


def _check_dim(module: Module, dim: Any) -> int | None:
    """A dimension for a batch of samples (-2..1) or None, else an error naming the module."""
    if dim is None:
        return None
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{type(module).__name__}: dim must be an int or None, "
                        f"got {type(dim).__name__} {dim!r}")
    if not -2 <= dim <= 1:
        raise IndexError(f"{type(module).__name__}: dim {dim} is out of range for a sample or a "
                         "batch (expected -2..1)")
    return dim


#: Lowercase names, as the functions in ``nn.functional``, to activation classes.
ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "hardsigmoid": Hardsigmoid,
    "hardtanh": Hardtanh,
    "hard_logistic": HardLogistic,
    "hard_tanh": Hardtanh,  # the course's name for Hardtanh(-1, 1)
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "softplus": Softplus,
    "silu": SiLU,
    "swish": Swish,
    "gelu": GELU,
    "logsigmoid": LogSigmoid,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}


def get_activation(activation: str | Module | type[Module]) -> Module:
    """A module for ``activation``: a name from ``ACTIVATIONS`` (any case), a class, or a module.

    A name or a class gives a new module with default arguments (so layers
    never share a PReLU's slopes); a module is returned as it is.
    """
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if not isinstance(activation, str):
        raise TypeError(
            "get_activation: expected an activation name, a Module class or a Module, "
            f"got {type(activation).__name__}"
        )
    cls = ACTIVATIONS.get(activation.lower())
    if cls is None:
        raise ValueError(
            f"get_activation: unknown activation {activation!r}; "
            f"known: {', '.join(sorted(ACTIVATIONS))}"
        )
    return cls()


__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "HardLogistic",
    "Hardsigmoid",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "PReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Swish",
    "Tanh",
    "get_activation",
]
