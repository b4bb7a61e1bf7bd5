"""The ``Tape``: a recorded graph (its instructions), its plan, and forward/backward on batches.

Made by ``trace`` (``autograd.tape.record``). ``forward(X)`` runs the plan on
the samples ``X``, one row per sample and one column per input;
``backward(seed)`` backpropagates through that run and adds each
parameter's batch-summed gradient to its ``grad``::

    tape = trace(lambda x, y: (x * w + y).tanh(), [0.5, 1.0])   # w a Value: a parameter
    out = tape.forward(X)        # X of shape (n, 2): out[s] = f(*X[s])
    dX = tape.backward()         # w.grad += sum_s d out[s] / dw; dX[s, i] = d out[s] / d X[s, i]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np

from ..value import Value
from . import run as _run
from .expr import Decision
from .instructions import Instruction, Param, Step, describe
from .plan import Plan

__all__ = ["Tape"]


class Tape:
    """The graph of a function recorded once; ``forward``/``backward`` replay it on a batch.

    ``inputs`` and ``parameters`` are Values (referenced, not copied);
    ``instructions`` make the nodes ``%0, %1, ...`` (inputs first), and
    ``steps`` are those that apply a primitive, in topological order;
    ``outputs`` are node numbers; ``decisions`` the branches taken;
    ``plan`` how the steps run on arrays. ``str(tape)`` lists it all.
    """

    def __init__(self, inputs: Sequence[Value], parameters: Sequence[Value],
                 instructions: Sequence[Instruction], outputs: Sequence[int],
                 decisions: Sequence[Decision], fuse: bool = True) -> None:
        self.inputs = tuple(inputs)
        self.parameters = tuple(parameters)
        self.instructions = tuple(instructions)
        self.steps = tuple(ins for ins in instructions if isinstance(ins, Step))
        self.outputs = tuple(outputs)
        self.decisions = tuple(decisions)
        self.plan = Plan(len(inputs), parameters, list(instructions), self.outputs,
                         self.decisions, fuse=fuse)
        self._run: _run.Replay | None = None

    # ----------------------------------------------------------------------- replay

    def _samples(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        d = len(self.inputs)
        if X.ndim == 1 and d == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(
                f"Tape.forward: expected an array of shape (samples, {d}), one column per input, "
                f"got shape {X.shape}"
            )
        return X

    def forward(self, X: Any) -> np.ndarray:
        """Replay on the samples ``X`` (n, inputs): the outputs, shape (n,) or (n, outputs).

        Raises ``BranchError`` if a sample takes another branch than the traced
        one, and the scalar engine's errors (``DomainError``, ...) naming the
        op and the sample.
        """
        previous, self._run = self._run, None  # its arrays are reused: it is over
        self._run = _run.forward(self.plan, self._samples(X), strict=True, recycle=previous)
        values = _run.values(self.plan, self._run)
        return values[:, 0] if len(self.outputs) == 1 else values

    def _replay(self, X: np.ndarray, rows: np.ndarray) -> _run.Replay:
        """Forward on the samples that follow the recorded branches (the others are dropped)."""
        previous, self._run = self._run, None
        self._run = _run.forward(self.plan, X, strict=False, rows=rows, recycle=previous)
        return self._run

    @overload
    def backward(self, seed: Any = ..., inputs: Literal[True] = ...) -> np.ndarray: ...

    @overload
    def backward(self, seed: Any = ..., *, inputs: Literal[False]) -> None: ...

    def backward(self, seed: Any = 1.0, inputs: bool = True) -> np.ndarray | None:
        """Backpropagate through the last ``forward``: add to each parameter's ``grad`` its batch sum.

        ``seed`` is d loss / d output: a number; for one output an array of
        shape (n,), one per sample; for several, shape (outputs,) or (n,
        outputs). Returns d loss / d input per sample, shape (n, inputs);
        with ``inputs=False``, None, and the steps that only lead to the
        inputs are left out (a training loop, which wants the parameters'
        gradients only). Calling it twice adds twice, as ``Value.backward`` does.
        """
        if self._run is None:
            raise RuntimeError("Tape.backward: call forward first")
        seeds = seed_array(seed, self._run.n, len(self.outputs))
        return _run.backward(self.plan, self._run, seeds, inputs)

    # ----------------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"Tape({len(self.inputs)} inputs, {len(self.parameters)} parameters, "
                f"{len(self.steps)} steps, {len(self.outputs)} outputs, "
                f"{len(self.decisions)} decisions; replays as {len(self.plan.items)} array steps)")

    def __str__(self) -> str:
        lines = [repr(self)]
        for i, ins in enumerate(self.instructions):
            text = describe(ins)
            if isinstance(ins, Param):
                p = self.parameters[ins.position]
                text += f"{f' {p.label!r}' if p.label else ''} (data {p.data!r})"
            lines.append(f"  %{i} = {text}")
        lines += [f"  decision: {d}" for d in self.decisions]
        lines.append(f"  outputs: {', '.join(f'%{o}' for o in self.outputs)}")
        return "\n".join(lines)


def seed_array(seed: Any, n: int, k: int) -> np.ndarray:
    """``seed`` as (n, k): a number; (n,) per sample for one output; (k,) per output; or (n, k)."""
    if type(seed) is float or type(seed) is int:  # the common case, without broadcast_to
        return np.ndarray((n, k), buffer=np.array([float(seed)]), strides=(0, 0))
    s = np.asarray(seed, dtype=float)
    if s.ndim == 1:
        s = s[None, :] if k > 1 else s[:, None]
    try:
        return np.broadcast_to(s, (n, k))
    except ValueError:
        raise ValueError(f"backward: a seed of shape {np.shape(seed)} does not fit {n} samples "
                         f"and {k} outputs") from None
