"""The careful paths of a replay: what the scalar engine does where numpy flags inf or nan.

A replay computes with numpy on whole chunks of samples. Where that is not
what the scalar engine would do, these functions redo the samples concerned
one at a time, with the scalar engine's own rules, and raise its errors
naming the sample:

- a row's domain predicate false for a sample: its ``DomainError`` (or
  ``DivisionByZero``) with the first offending sample's inputs;
- numpy flagging inf or nan in forward: each sample with a non-finite input
  or result is computed by the scalar engine (``autograd.scalar.evaluate``):
  its value replaces numpy's (inf included), or its error is raised
  (``NumericOverflow`` for finite inputs, ``DomainError`` for ``sin(inf)``);
- a partial that numpy finds infinite or undefined: the row's partials on
  floats decide, as in the scalar engine's backward (``0.5 / 0`` for sqrt
  at 0 raises ``DivisionByZero``);
- a contribution d_i * g that is not finite although the step's data and
  incoming gradient are: ``NumericOverflow`` naming the step and sample.

None of this runs when everything is finite, which a replay finds out with
one cheap check per matrix product forward and one at the end of backward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DivisionByZero, DomainError, NumericOverflow, OpError
from ..primitives import ARRAYS, FLOATS, Op
from ..scalar import evaluate
from .expr import FLOAT_OPS, Program, prog_eval, prog_nodes, prog_text

if TYPE_CHECKING:
    from .run import Replay, Run


def element(x: Any, j: int, s: int) -> float:
    """Row j, sample s of an operand that may be broadcast (one row, or one column for all)."""
    a = np.asarray(x, dtype=float)
    if a.ndim < 2:
        return float(a.reshape(-1)[0]) if a.size == 1 else float(a.reshape(-1)[s])
    return float(a[j if a.shape[0] > 1 else 0, s if a.shape[1] > 1 else 0])


def at_sample(exc: OpError, where: str) -> OpError:
    """The scalar engine's error ``exc`` again, saying which sample it was: ``(sample 3)``."""
    return type(exc)(exc.op, exc.inputs, f"{exc.reason} ({where})")


def error_class(exc: BaseException) -> type[OpError]:
    """The engine's error for a failure of Python's float arithmetic (as ``reverse._explain``)."""
    if isinstance(exc, ZeroDivisionError):
        return DivisionByZero
    if isinstance(exc, OverflowError):
        return NumericOverflow
    return DomainError


def suspects(shape: tuple[int, int], arrays: Sequence[Any]) -> Any:
    """(sample, row) pairs where any of ``arrays`` is not finite, the lowest sample first."""
    bad = np.zeros(shape, dtype=bool)
    for a in arrays:
        bad |= ~np.isfinite(np.broadcast_to(a, shape))
    return zip(*(index.tolist() for index in np.nonzero(bad.T)), strict=True)


def domain_error(op: Op, xs: list, ok: Any, shape: tuple[int, int], run: Run, dep: bool
                 ) -> OpError:
    """The row's domain error for the first sample where ``ok`` is false."""
    bad = ~np.broadcast_to(np.asarray(ok, dtype=bool), shape)
    j, s = first_bad(bad)
    inputs = [element(x, j, s) for x in xs]
    return op.prim.domain_error(op, inputs, f"{op.prim.domain_text} ({run.where(s, dep)})")


def settle(op: Op, xs: list, out: Any, shape: tuple[int, int], run: Run, dep: bool
           ) -> np.ndarray:
    """``out`` where numpy flagged inf or nan, made what the scalar engine gives, sample by sample."""
    out = np.array(np.broadcast_to(out, shape), dtype=float)
    for s, j in suspects(shape, [out, *xs]):
        try:
            out[j, s] = evaluate(op, tuple(element(x, j, s) for x in xs))
        except OpError as exc:
            raise at_sample(exc, run.where(s, dep)) from None
    return out


def settle_partials(op: Op, xs: list, out: Any, shape: tuple[int, int], run: Run, dep: bool
                    ) -> list[np.ndarray]:
    """The partials where numpy flagged inf or nan, made what the row gives on floats.

    Each sample with a non-finite input, output or partial evaluates the
    row's partials on floats, as the scalar engine's backward does: their
    values replace numpy's, or the rule's failure raises the scalar engine's
    error naming the sample.
    """
    with np.errstate(all="ignore"):
        ds = [np.array(np.broadcast_to(d, shape), dtype=float)
              for d in op.prim.partials(ARRAYS, out, *xs, *op.params)]
    for s, j in suspects(shape, [out, *xs, *ds]):
        inputs = [element(x, j, s) for x in xs]
        try:
            exact = op.prim.partials(FLOATS, element(out, j, s), *inputs, *op.params)
        except (ArithmeticError, ValueError) as exc:
            raise error_class(exc)(
                f"backward of {op}", inputs,
                f"the derivative is not finite here ({exc}) ({run.where(s, dep)})",
            ) from None
        for d, e in zip(ds, exact, strict=True):
            d[j, s] = e
    return ds


def check_contributions(op: Op, xs: list, out: Any, ds: Sequence[Any], g: np.ndarray, run: Run,
                        dep: bool) -> None:
    """NumericOverflow where a step's finite data and gradient give a non-finite d_i * g."""
    shape = g.shape
    finite = np.isfinite(g) & np.isfinite(np.broadcast_to(out, shape))
    for x in xs:
        finite &= np.isfinite(np.broadcast_to(x, shape))
    for i, d in enumerate(ds):
        c = np.broadcast_to(d * g, shape)
        bad = finite & ~np.isfinite(c)
        if bad.any():
            j, s = first_bad(bad)
            raise NumericOverflow(
                f"backward of {op}", [element(x, j, s) for x in xs],
                f"the gradient flowing to input {i} is {float(c[j, s])!r} (partial "
                f"{element(d, j, s)!r} times incoming gradient {float(g[j, s])!r}) "
                f"({run.where(s, dep)})",
            )


def settle_sums(steps: list[list[tuple]], p: np.ndarray, x: np.ndarray, out: np.ndarray,
                run: Run) -> None:
    """Each matrix-product sum that is not finite, computed as the scalar engine does, step by step.

    ``steps[j]`` are row j's own steps ``(node, op, args)`` in tape order, each
    arg ``("x", k)``, ``("p", j)`` or ``("n", node)``. The value (inf or nan
    from a non-finite input) replaces numpy's, or the error (``NumericOverflow``:
    finite terms whose sum overflows) is raised naming the sample.
    """
    for s, j in suspects(out.shape, [out]):
        values: dict[int, float] = {}
        for node, op, args in steps[j]:
            inputs = tuple(float(x[k, s]) if kind == "x" else float(p[k]) if kind == "p"
                           else values[k] for kind, k in args)
            try:
                values[node] = evaluate(op, inputs)
            except OpError as exc:
                raise at_sample(exc, run.where(s)) from None
        out[j, s] = values[steps[j][-1][0]]


def check_products(w: np.ndarray, x: np.ndarray, g: np.ndarray, run: Run) -> None:
    """NumericOverflow where finite w, x and g give a non-finite w g or x g (a product's backward).

    The sums of a matrix product pass the incoming gradient g on unchanged;
    its products ``w * x`` send back ``w g`` and ``x g``, as in the scalar
    engine's backward.
    """
    for k in range(w.shape[1]):
        wk, xk = w[:, k:k + 1], x[k:k + 1, :]
        finite = np.isfinite(g) & np.isfinite(wk) & np.isfinite(xk) & np.isfinite(wk * xk)
        bad = finite & ~(np.isfinite(wk * g) & np.isfinite(xk * g))
        if bad.any():
            j, s = first_bad(bad)
            raise NumericOverflow(
                "backward of *", [float(wk[j, 0]), float(xk[0, s])],
                f"the gradient {float(g[j, s])!r} times these gives a gradient that is not "
                f"finite ({run.where(s)})",
            )


def eval_settled(prog: Program, run: Run, value: Callable[[Run, Any], Any], dep: bool) -> Any:
    """``prog`` on a replay's arrays; where numpy flags inf or nan, per sample as the traced code.

    The traced function computed such a program on Python floats
    (``TracedFloat``): a sample whose result is not finite is evaluated so
    again, and raises what Python raised there (``x / 0``: ``DivisionByZero``).
    """
    def column(i: Any) -> Any:
        return value(run, i)

    try:
        return prog_eval(prog, column)
    except FloatingPointError:
        pass
    with np.errstate(all="ignore"):
        result = np.array(np.broadcast_to(prog_eval(prog, column), (run.n if dep else 1,)),
                          dtype=float)
    for s in np.flatnonzero(~np.isfinite(result)).tolist():
        def at(i: Any, s: int = s) -> float:
            return element(value(run, i), 0, s)

        try:
            result[s] = float(prog_eval(prog, at, FLOAT_OPS))  # (-8) ** 0.5 is complex: fails
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise error_class(exc)(
                prog_text(prog), [at(i) for i in prog_nodes(prog)], f"{exc} ({run.where(s, dep)})"
            ) from None
    return result


def first_bad(bad: np.ndarray) -> tuple[int, int]:
    """(row, sample) of the first True in ``bad``, the lowest sample first."""
    s = int(np.flatnonzero(bad.any(axis=0))[0])
    return int(np.flatnonzero(bad[:, s])[0]), s


def blame(replay: Replay, seed: np.ndarray, gp: np.ndarray, g_inputs: np.ndarray | None
           ) -> None:
    """Some gradient is not finite, and no step was to blame: did adding up overflow?

    A sample whose values are all finite but whose input gradient is not, or
    parameter gradients of an all-finite batch that are not, overflowed when
    contributions were added up: ``NumericOverflow``. Otherwise the inf or
    nan came from the data, and is the answer.
    """
    finite_parts, inputs = [], []
    lo = 0
    for run in replay.chunks:
        finite = np.isfinite(seed[lo:lo + run.n]).all(axis=1)
        for block, dep in zip(run.blocks, run.dep, strict=True):
            if block is not None and run.n:
                finite &= np.isfinite(block).all(axis=0) if dep else bool(np.isfinite(block).all())
        finite_parts.append(finite)
        inputs.append(run.blocks[0])
        lo += run.n
    finite = np.concatenate(finite_parts)
    bad = ~np.isfinite(g_inputs.T) & finite if g_inputs is not None else None
    if bad is not None and g_inputs is not None and bad.any():
        i, s = first_bad(bad)
        x = np.concatenate(inputs, axis=1)
        raise NumericOverflow("backward", [float(v) for v in x[:, s]],
                              f"finite gradients add up to {float(g_inputs[s, i])!r} "
                              f"for input {i} (sample {int(replay.rows[s])})")
    if finite.all() and not np.isfinite(gp).all():
        j = int(np.flatnonzero(~np.isfinite(gp[:, 0]))[0])
        raise NumericOverflow("backward", [float(replay.chunks[0].blocks[1][j, 0])],
                              f"the gradients of parameter {j} add up to {float(gp[j, 0])!r} "
                              "over the batch")
