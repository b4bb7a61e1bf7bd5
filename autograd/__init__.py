"""A scalar reverse-mode autodiff engine with a dynamic computation graph.

Build expressions from ``Value`` s; call ``backward()`` on the result and read
``.grad`` on every node. Every operation is a row of one table
(``autograd.primitives.TABLE``) that gives its forward function and its
local partial derivatives; reverse mode, forward mode (``jvp``, ``Dual``,
``forward_tangents``) and gradients of gradients (``grad(...,
create_graph=True)``) all read that table. ``trace`` records a function's
graph once as a ``Tape`` that replays forward and backward on numpy batches,
with the same table.
"""

from . import func
from .errors import (
    AnomalyError,
    DivisionByZero,
    DomainError,
    NumericOverflow,
    OpError,
)
from .forward import Dual, forward_tangents, jvp
from .functional import hessian, jacobian
from .gradcheck import GradcheckError, gradcheck, numeric_gradient
from .graph import topological_order
from .modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .primitives import PRIMITIVES, TABLE, Primitive
from .reverse import RuleError, backward, grad
from .trace import BranchError, Decision, Step, Tape, TapeCache, TracedFloat, TraceError, trace
from .value import Value, VersionError, apply

__all__ = [
    "PRIMITIVES",
    "TABLE",
    "AnomalyError",
    "BranchError",
    "Decision",
    "DivisionByZero",
    "DomainError",
    "Dual",
    "GradcheckError",
    "NumericOverflow",
    "OpError",
    "Primitive",
    "RuleError",
    "Step",
    "Tape",
    "TapeCache",
    "TraceError",
    "TracedFloat",
    "Value",
    "VersionError",
    "apply",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_tangents",
    "func",
    "grad",
    "gradcheck",
    "hessian",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "no_grad",
    "numeric_gradient",
    "topological_order",
    "trace",
]
