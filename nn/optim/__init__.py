"""Optimizers and learning-rate schedulers for ``Value`` parameters, as ``torch.optim``.

Each optimizer is one small module whose class docstring states its update
rule; ``Optimizer`` (``optimizer.py``) holds what they share: parameter
groups, state, ``zero_grad``, ``step``, saving and resuming.
``lr_scheduler`` holds the schedulers (``nn.optim.lr_scheduler.StepLR``, ...).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import NonFiniteStepError, Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "NAdam", "NonFiniteStepError", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]
