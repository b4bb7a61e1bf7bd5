"""Neural networks on ``autograd.Value``: a short textbook chapter in code.

- modules: ``Module``, micrograd's ``Neuron``, ``Layer``, ``MLP``; ``Linear``,
  ``Sequential``, ``ModuleList``, ``Identity``, ``Flatten``, ``Maxout``;
  ``Dropout``, ``BatchNorm1d``. ``model(X)`` on a batch (a list of samples or
  an ``(n, features)`` array) gives one output per sample
- activations (modules here, functions in ``nn.functional``) and losses
- ``nn.optim`` (optimizers, ``nn.optim.lr_scheduler``), ``nn.init``,
  ``nn.utils`` (gradient clipping), ``nn.data`` (teaching datasets, ``DataLoader``)
- ``fit`` (the training loop), ``summary``, ``save`` / ``load``, ``manual_seed``
- ``nn.export``: ``to_torch`` / ``from_torch`` (needs PyTorch, imported on first use)

Everything matches its PyTorch namesake on the same numbers (float64) where
PyTorch has one; the docstrings say where we differ and why.
"""

from autograd.value import register_package as _register_package

from . import data, functional, init, optim, utils
from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    HardLogistic,
    Hardsigmoid,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Swish,
    Tanh,
    get_activation,
)
from .data import DataLoader
from .layers import MLP, Flatten, Identity, Layer, Linear, Maxout, ModuleList, Neuron, Sequential
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MaxMarginLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module
from .random import manual_seed
from .regularization import BatchNorm1d, Dropout
from .serialization import ModelFileError, load, save
from .summary import summary
from .training import NonFiniteLossError, accuracy, fit

_register_package(__file__)  # messages about the user's code skip this package's frames

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "DataLoader",
    "Dropout",
    "Flatten",
    "HardLogistic",
    "Hardsigmoid",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxMarginLoss",
    "Maxout",
    "ModelFileError",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Neuron",
    "NonFiniteLossError",
    "PReLU",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Swish",
    "Tanh",
    "accuracy",
    "data",
    "fit",
    "functional",
    "get_activation",
    "init",
    "load",
    "manual_seed",
    "optim",
    "save",
    "summary",
    "utils",
]


def __getattr__(name: str) -> object:
    """``nn.export`` is imported on first use: it needs PyTorch, which ``import nn`` must not."""
    if name == "export":
        import importlib

        return importlib.import_module(".export", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
