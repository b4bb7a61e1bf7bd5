"""Neural networks on ``autograd.Value``: a short textbook chapter in code.

- modules: ``Module``, micrograd's ``Neuron``, ``Layer``, ``MLP``; ``Linear``,
  ``Sequential``, ``Maxout``; ``Dropout``, ``BatchNorm1d``
- activations (modules here, functions in ``nn.functional``) and losses
- ``nn.optim`` (optimizers, ``nn.optim.lr_scheduler``), ``nn.init``,
  ``nn.utils`` (gradient clipping), ``nn.data`` (teaching datasets, ``DataLoader``)
- ``fit`` (the training loop), ``summary``, ``save`` / ``load``, ``manual_seed``

Everything matches its PyTorch namesake on the same numbers (float64) where
PyTorch has one; the docstrings say where we differ and why.
"""

from . import data, functional, init, optim, utils
from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    HardLogistic,
    Hardsigmoid,
    HardTanh,
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
from .layers import MLP, Layer, Linear, Maxout, Neuron, Sequential
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MaxMarginLoss,
    MSELoss,
    SmoothL1Loss,
)
from .module import Module
from .random import manual_seed
from .regularization import BatchNorm1d, Dropout
from .serialization import ModelFileError, load, save
from .summary import summary
from .training import NonFiniteLossError, accuracy, fit

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
    "HardLogistic",
    "HardTanh",
    "Hardsigmoid",
    "Hardtanh",
    "HuberLoss",
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
