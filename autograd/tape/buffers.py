"""Arrays kept from one replay of a plan to the next, so that a replay allocates almost nothing.

A plan writes arrays of the same shapes at every replay. Fresh arrays of a
megabyte or so cost more than the arithmetic that fills them: the allocator
hands such blocks back to the system when they are freed, and the next
replay's first write to each of their pages traps into the kernel (a page
fault, and the page zeroed). So each chunk of a replay (``run.Run``) keeps
the arrays it writes, and the next replay of the plan writes into them with
numpy's ``out=``: the matrix products, the gradient blocks, and the results
of the rows of the primitive table.

The rows are evaluated generically (``forward(ARRAYS, x)``, ``partials(ARRAYS,
out, x)``), so their numpy calls are not the tape's to give ``out=`` to:
``relu``'s partial is ``(x > 0) * 1.0``, two fresh arrays. ``Calls`` does it
for them. The operands are handed to the row as ``Recycled`` arrays, an
ndarray subclass whose ufunc calls go through ``Calls.call``: a row's
function makes the same calls in the same order at every replay, so the
k-th call writes into the array that the k-th call returned the previous
time, if its operands have the same types and shapes (else it allocates, as
numpy would). Reductions, functions that are not ufuncs and calls given
``out=`` by the row run as numpy runs them. A row added at run time is
recycled the same way: nothing here knows the rows.

Three more things happen on the way, none changing a bit of the results.
In backward, a call may write into a gradient array that the sweep is done
with (``Run.scratch``: it is still in the cache). A mask times 1.0, the
way rows write a kink (``(x > 0) * 1.0``), is done as numpy's cast from
bool to float, which takes half the time of its mixed bool-float multiply.
And a number beside a block in ``maximum`` or ``minimum`` (relu's
``maximum(x, 0.0)``, hardtanh's bounds) is handed to numpy as a kept row of
that number: numpy's loops for these take two contiguous operands about
twice as fast as an array and a number (measured with numpy 2.4 on 16 x
10,000 blocks: 47 against 75-105 microseconds). Not in ``fmax`` or ``fmin``:
at a tie of 0.0 and -0.0 their loops give either zero, depending on which
loop and where in it (numpy 2.4 with AVX-512: the vector part and the
elements left over after it disagree), so a row would change signs of zeros.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Calls", "Recycled"]


class Calls:
    """The arrays a row function's ufunc calls returned at the last replay, in call order."""

    __slots__ = ("arrays", "free", "made", "next", "rows", "signatures")

    def __init__(self) -> None:
        self.signatures: list[Any] = []
        self.arrays: list[Any] = []
        self.made: list[Recycled] = []  # what the current evaluation returned, in order
        self.next = 0
        self.free: dict[tuple, list[np.ndarray]] | None = None  # backward: see Run.scratch
        self.rows: dict[tuple[float, float], np.ndarray] = {}  # numbers as rows (_rows_for_scalars)

    def begin(self, *xs: Any) -> list[Any]:
        """Start an evaluation (again): the operands ``xs`` as ``Recycled`` views."""
        self.next = 0
        self.made.clear()
        views: list[Any] = []
        for x in xs:
            if type(x) is np.ndarray:
                view = x.view(Recycled)
                view.calls = self
                x = view
            views.append(x)
        return views

    def call(self, ufunc: np.ufunc, args: list[Any]) -> Any:
        """``ufunc(*args)``, into the array the same call returned last time if it fits."""
        i = self.next
        self.next = i + 1
        signature: tuple | None = tuple((a.shape, a.dtype) if type(a) is np.ndarray else type(a)
                                        for a in args)
        if i < len(self.arrays) and self.signatures[i] == signature:
            target = self.arrays[i]
            if self.free and target.dtype == np.float64:  # a gradient array done with: in cache
                stack = self.free.get(target.shape)
                if stack:
                    target = stack.pop()
            if ufunc is np.multiply and _mask_times_one(args):
                result = target  # a kink written (x > 0) * 1.0: a cast, twice as fast
                np.copyto(target, args[0] if type(args[0]) is np.ndarray else args[1])
            else:
                if ufunc in _EXTREMA:
                    args = self._rows_for_scalars(args)
                result = ufunc(*args, out=target)
        else:
            result = ufunc(*args)
            if type(result) is not np.ndarray or not result.ndim:
                signature = None  # a scalar: nothing to keep, and nothing to recycle
            if i < len(self.arrays):
                self.signatures[i], self.arrays[i] = signature, result
            else:
                self.signatures.append(signature)
                self.arrays.append(result)
            if signature is None:
                return result
        view = result.view(Recycled)
        view.calls = self
        self.made.append(view)
        return view

    def _rows_for_scalars(self, args: list[Any]) -> list[Any]:
        """A number beside a block, as a kept row of it: numpy's extrema loops take it twice as fast."""
        a, b = args
        block = a if type(a) is np.ndarray else b
        if block.dtype != np.float64 or block.ndim != 2 or not block.flags.c_contiguous:
            return args  # (a row of another dtype could change the result's)
        width = block.shape[1]
        out = []
        for x in args:
            if type(x) is float and not math.isnan(x):  # NaN equals nothing: never found again
                key = (x, math.copysign(1.0, x))  # -0.0 == 0.0, but not as an extremum
                row = self.rows.get(key)
                if row is None or len(row) != width:  # one row per number: batches change size
                    row = self.rows[key] = np.full(width, x)
                x = row
            out.append(x)
        return out

    def owns(self, d: Any) -> bool:
        """Is ``d`` an array this evaluation made (so the caller may overwrite it)?"""
        return any(v is d for v in self.made)


_EXTREMA = (np.maximum, np.minimum)  # not fmax, fmin: their ties of zeros depend on the loop


def _mask_times_one(args: list[Any]) -> bool:
    """Are ``args`` a boolean array and the float 1.0 (the product is the mask as floats)?"""
    a, b = args
    if type(a) is float:
        a, b = b, a
    return type(b) is float and b == 1.0 and type(a) is np.ndarray and a.dtype == np.bool_


def plain(x: Any) -> Any:
    """``x`` as a plain ndarray if it is ``Recycled`` (blocks never hold the subclass)."""
    return x.view(np.ndarray) if isinstance(x, Recycled) else x


class Recycled(np.ndarray):
    """An operand of a row whose ufunc results are written into the previous replay's arrays."""

    calls: Calls | None = None  # set on the views Calls makes; None on views of those

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        calls = None
        args = []
        for x in inputs:
            if isinstance(x, Recycled):
                if calls is None:
                    calls = x.calls
                x = x.view(np.ndarray)
            args.append(x)
        if calls is not None and method == "__call__" and not kwargs and ufunc.nout == 1:
            return calls.call(ufunc, args)
        if "out" in kwargs:
            kwargs["out"] = tuple(plain(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*args, **kwargs)
