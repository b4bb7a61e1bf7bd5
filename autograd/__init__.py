"""A scalar reverse-mode autodiff engine with a dynamic computation graph.

Build expressions from ``Value`` s; call ``backward()`` on the result and read
``.grad`` on every node. Every operation is a row of one table
(``autograd.primitives.TABLE``) that gives its forward function and its
local partial derivatives; reverse mode, forward mode (``jvp``, ``Dual``,
``forward_tangents``) and gradients of gradients (``grad(...,
create_graph=True)``) all read that table. ``trace`` records a function's
graph once as a ``Tape`` that replays forward and backward on numpy batches,
with the same table.

Not HIPS autograd: that is the PyPI package ``autograd``, whose top-level
package has this one's name. Installed into the same environment, its files
land beside these; importing then stops at once with an ImportError that
names them and says how to fix it.
"""

import os as _os

# Files only HIPS autograd has (``numpy/`` in every version of it, the rest since 1.2); a few
# os.path.exists calls, so importing stays cheap. One if statement that leaves no name behind:
# any other statement here would have to follow the imports below.
if _hips_files := [
    name for name in ("tracer.py", "wrap_util.py", "differential_operators.py", "numpy/")
    if _os.path.exists(_os.path.join(_os.path.dirname(__file__), name))
]:
    raise ImportError(
        f"import autograd: {_os.path.dirname(__file__)} holds {', '.join(_hips_files)}, which "
        "belong to HIPS autograd (the PyPI package 'autograd'), not to this one "
        "(backprop-course). Both install a top-level package named 'autograd', and HIPS "
        "autograd was installed into the same place, so neither works. To fix it: "
        "'pip uninstall autograd', then reinstall this package ('pip install "
        "--force-reinstall --no-deps backprop-course', or 'pip install -e .' in its checkout); "
        "or keep the two in separate virtual environments."
    )
else:
    del _hips_files, _os

from . import func
from .errors import (
    AnomalyError,
    BranchError,
    DivisionByZero,
    DomainError,
    NumericOverflow,
    OpError,
    RuleError,
    TraceError,
)
from .forward import Dual, forward_tangents, jvp
from .functional import hessian, jacobian
from .gradcheck import GradcheckError, gradcheck, numeric_gradient
from .graph import topological_order
from .modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .primitives import PRIMITIVES, TABLE, Primitive
from .reverse import backward, grad
from .tape import Decision, Step, Tape, TapeCache, TracedFloat, trace
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
