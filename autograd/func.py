"""Function transforms in the style of ``torch.func`` and JAX: derivatives as functions.

``grad(f)`` is a new function that returns the gradient of ``f``; so are
``value_and_grad`` (JAX's order) and ``grad_and_value`` (PyTorch's),
``jacrev`` (reverse mode), ``jacfwd`` (forward mode) and ``hessian``;
``vjp(f, *primals)`` returns ``(output, vjp_fn)`` and ``jvp(f, primals,
tangents)`` returns ``(output, jvp_out)``. The signatures,
the ``argnums`` and ``has_aux`` arguments and the shapes of the results are
``torch.func``'s:

- an argument is a number, a ``Value`` or a numpy array of numbers (a
  vector); ``f`` receives a ``Value`` for a number and an object array of
  ``Value`` s for an array, and may use numpy on it (``np.sin(x)``,
  ``x @ w``, ``x.sum()``: numpy calls the ``Value`` methods elementwise);
- ``f`` returns a scalar (a ``Value`` or a number), an array of them, or a
  tuple or list of those (several outputs);
- the derivative of an output of shape ``so`` with respect to an argument of
  shape ``sa`` has shape ``so + sa``: a float when both are scalars, an array
  otherwise, exactly what ``torch.func`` gives for 0-d and 1-d tensors.
  With a tuple ``argnums`` there is one such result per argument; with
  several outputs, one per output (outputs outside, arguments inside).

How it works: each call records ``f``'s graph on fresh inputs and runs the
engine's sweeps on it, reverse (``autograd.reverse.grad``, one sweep per
output element) or forward (``autograd.sweep.forward``, one sweep per input
element). At top level the results are floats and float arrays.

**Transforms compose** (``grad(grad(f))``, ``jacfwd(jacrev(f))``): while a
transform runs ``f``, any transform called inside it, and any transform given
a ``Value`` argument, differentiates with ``create_graph=True``, so that its
results are ``Value`` s that the outer transform differentiates again. An
argument that is already a ``Value`` enters the graph as ``x + dx`` with a
fresh leaf ``dx`` holding -0.0 (so the sum is ``x`` bit for bit), and the
transform differentiates with respect to ``dx``: that is the derivative with
respect to this argument alone, even when ``f`` also uses ``x`` through a
closure. ``grad(lambda x: grad(lambda y: x * y)(x))(3.0)`` is 1.0, as in
PyTorch and JAX (differentiating with respect to ``x`` itself would make the
inner derivative 2x and give the "perturbation confusion" answer 2).
``torch.autograd.functional`` does the same with ``x.view_as(x)``.

The older ``autograd.grad(output, inputs)`` (``torch.autograd.grad``) and
``autograd.jacobian`` / ``autograd.hessian`` are unchanged.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from . import sweep
from .graph import topological_order
from .modes import enable_grad
from .reverse import grad as _reverse_grad
from .scalar import Scalar, as_float, describe
from .value import Value

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "value_and_grad", "vjp"]

# How many transforms are running ``f`` in this thread or task: a transform called while
# another one evaluates its function must keep its results differentiable (create_graph).
_depth: ContextVar[int] = ContextVar("autograd_func_depth", default=0)


# --------------------------------------------------------------------------- arguments


def _holds_value(x: Any) -> bool:
    """Whether ``x`` is a Value or an array or sequence holding one (then results stay Values)."""
    if isinstance(x, Value):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype == object and any(isinstance(v, Value) for v in x.flat)
    if isinstance(x, (tuple, list)):
        return any(_holds_value(v) for v in x)
    return False


def _lift_scalar(x: Any, name: str, where: str) -> tuple[Value, Value]:
    """(what ``f`` receives, the leaf to differentiate with respect to) for one number or Value."""
    if isinstance(x, Value):
        dx = Value(-0.0)  # x + (-0.0) is x, -0.0 included: the data is unchanged bit for bit
        return x + dx, dx
    if isinstance(x, Scalar):
        raise TypeError(f"{name}: {where} is a {type(x).__name__}; the transforms of "
                        "autograd.func take numbers, Values and numpy arrays")
    if isinstance(x, numbers.Real):
        leaf = Value(as_float(x, name))
        return leaf, leaf
    raise TypeError(
        f"{name}: {where} must be a number, a Value or a numpy array of numbers, "
        f"got {describe(x)}"
    )


class _Input:
    """One differentiated argument: what ``f`` receives, its leaves (flat) and its shape.

    ``shape`` is None for a scalar and the array's shape otherwise.
    """

    __slots__ = ("leaves", "shape", "value")

    def __init__(self, x: Any, name: str, where: str) -> None:
        if isinstance(x, np.ndarray) and x.ndim > 0:
            if x.dtype.kind not in "biuf" and x.dtype != object:
                raise TypeError(f"{name}: {where} must hold real numbers, got an array of "
                                f"dtype {x.dtype}")
            pairs = [_lift_scalar(v, name, f"an element of {where}") for v in x.flat]
            value = np.empty(len(pairs), dtype=object)
            value[:] = [p for p, _ in pairs]
            self.value: np.ndarray | Value = value.reshape(x.shape)
            self.leaves = [leaf for _, leaf in pairs]
            self.shape: tuple[int, ...] | None = x.shape
        else:
            if isinstance(x, np.ndarray):  # a 0-d array is a scalar
                x = x.item()
            if isinstance(x, (list, tuple)):
                raise TypeError(
                    f"{name}: {where} is a {type(x).__name__}; pass a vector as a numpy array "
                    "(np.array(...)), or its elements as separate arguments"
                )
            self.value, leaf = _lift_scalar(x, name, where)
            self.leaves = [leaf]
            self.shape = None


def _argnums(argnums: Any, nargs: int, name: str) -> tuple[tuple[int, ...], bool]:
    """``argnums`` as a tuple of non-negative positions, and whether it was a single int."""
    single = not isinstance(argnums, tuple)
    items = (argnums,) if single else argnums
    if not items:
        raise ValueError(f"{name}: argnums must be an int or a non-empty tuple of ints, got ()")
    positions = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums {a} is out of range for a function called with {nargs} "
                "positional argument(s)"
            )
        positions.append(int(a) % nargs)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{name}: argnums must not repeat an argument, got {argnums!r}")
    return tuple(positions), single


def _check_function(f: Any, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name}: expected a function to transform, got {describe(f)}")


# --------------------------------------------------------------------------- outputs


class _Output:
    """One output of ``f``: its shape (None for a scalar) and its elements as Values (flat)."""

    __slots__ = ("nodes", "shape", "value")

    def __init__(self, out: Any, name: str) -> None:
        self.value = out
        if isinstance(out, np.ndarray) and out.ndim > 0:
            if out.dtype.kind not in "biuf" and out.dtype != object:
                raise TypeError(f"{name}: f returned an array of dtype {out.dtype}; "
                                "expected real numbers or Values")
            self.shape: tuple[int, ...] | None = out.shape
            self.nodes = [_node(v, name) for v in out.flat]
        else:
            if isinstance(out, np.ndarray):
                out = out.item()
            self.shape = None
            self.nodes = [_node(out, name)]


def _node(x: Any, name: str) -> Value:
    """An output element as a Value (a number is a constant: all its derivatives are 0)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Scalar):
        return Value(as_float(x, name))
    raise TypeError(
        f"{name}: f must return Values, numbers, numpy arrays of them, or a tuple of those; "
        f"got {describe(x)}"
    )


def _outputs(out: Any, name: str) -> tuple[list[_Output], type | None]:
    """The outputs of ``f``, and the container type when it returned a tuple or list of them."""
    if isinstance(out, (tuple, list)):
        return [_Output(o, name) for o in out], type(out)
    return [_Output(out, name)], None


def _pack(items: list, container: type | None) -> Any:
    return items[0] if container is None else container(items)


def _shaped(values: list, shape: tuple[int, ...], keep: bool) -> Any:
    """``values`` (flat) as a float, or an array of ``shape``: float64, or objects if ``keep``."""
    if not shape:
        v = values[0]
        return v if keep else float(v)
    if keep:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return np.array(values, dtype=float).reshape(shape)


def _export(x: Any, keep: bool) -> Any:
    """``f``'s own results as a transform hands them back: as they are if ``keep``, else floats."""
    if keep:
        return x
    if isinstance(x, Value):
        return x.data
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.array([_export(v, keep) for v in x.flat], dtype=float).reshape(x.shape)
    if isinstance(x, (tuple, list)):
        return type(x)(_export(v, keep) for v in x)
    if isinstance(x, dict):
        return {k: _export(v, keep) for k, v in x.items()}
    return x


def _shape_of(x: Any) -> tuple[int, ...]:
    return () if x is None else x


# --------------------------------------------------------------------------- evaluation


class _Call:
    """``f`` evaluated once on fresh graph inputs: the record every transform differentiates."""

    __slots__ = ("aux", "container", "inputs", "keep", "outputs")

    def __init__(self, f: Callable[..., Any], args: Sequence[Any], argnums: tuple[int, ...],
                 name: str, has_aux: bool, keep: bool = False) -> None:
        # differentiable results when nested in another transform, or given Values
        self.keep = keep or _depth.get() > 0 or any(_holds_value(a) for a in args)
        call_args = list(args)
        self.inputs = []
        for i in argnums:
            inp = _Input(args[i], name, f"argument {i}")
            call_args[i] = inp.value
            self.inputs.append(inp)
        token = _depth.set(_depth.get() + 1)
        try:
            with enable_grad():  # as torch.func: an outer no_grad() does not stop the transform
                out = f(*call_args)
        finally:
            _depth.reset(token)
        self.aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ValueError(f"{name}: with has_aux=True, f must return a pair "
                                 f"(output, aux), got {describe(out)}")
            out, aux = out
            self.aux = _export(aux, self.keep)
        self.outputs, self.container = _outputs(out, name)

    def leaves(self) -> list[Value]:
        return [leaf for inp in self.inputs for leaf in inp.leaves]

    def value(self) -> Any:
        """``f``'s output as the transform returns it."""
        return _pack([_export(_as_result(o), self.keep) for o in self.outputs], self.container)

    def blocks(self, matrix: list[list], single: bool) -> Any:
        """Split a flat matrix [output element][input element] into ``torch.func``'s structure."""
        results, row = [], 0
        for o in self.outputs:
            rows = matrix[row:row + len(o.nodes)]
            row += len(o.nodes)
            per_arg, col = [], 0
            for inp in self.inputs:
                n = len(inp.leaves)
                flat = [r[j] for r in rows for j in range(col, col + n)]
                col += n
                per_arg.append(_shaped(flat, _shape_of(o.shape) + _shape_of(inp.shape), self.keep))
            results.append(per_arg[0] if single else tuple(per_arg))
        return _pack(results, self.container)

    def with_aux(self, result: Any, has_aux: bool) -> Any:
        return (result, self.aux) if has_aux else result


def _as_result(o: _Output) -> Any:
    """An output as ``f`` gave it, scalars as Values and arrays as arrays."""
    return o.nodes[0] if o.shape is None else _shaped(o.nodes, o.shape, keep=True)


def _reverse_rows(call: _Call) -> list[list]:
    """d output_k / d input_j by reverse mode: one sweep per output element."""
    leaves = call.leaves()
    return [_reverse_grad(node, leaves, create_graph=call.keep)
            for o in call.outputs for node in o.nodes]


def _forward_columns(call: _Call, seeds: list[dict]) -> list[list]:
    """For each seed {leaf: tangent}, the tangents of every output element (forward mode)."""
    nodes = [node for o in call.outputs for node in o.nodes]
    order = topological_order(*nodes)
    index = {v: i for i, v in enumerate(order)}
    columns = []
    for seed in seeds:
        tangents = sweep.forward(order, seed, create_graph=call.keep)
        columns.append([tangents[index[node]] for node in nodes])
    return columns


# --------------------------------------------------------------------------- the transforms


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
         has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function (``torch.func.grad``, ``jax.grad``).

    ``grad(f, argnums)(*args)`` is d f / d args[argnums]: a float for a scalar
    argument, an array of the argument's shape for an array, a tuple of those
    for a tuple ``argnums``. ``f`` must return a scalar. With ``has_aux``,
    ``f`` returns ``(output, aux)`` and the result is ``(gradient, aux)``.
    One reverse sweep.
    """
    return _grad_transform(f, argnums, has_aux, "grad", with_value=False)


def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """``(f(*args), grad(f, argnums)(*args))`` from one evaluation, as ``jax.value_and_grad``.

    With ``has_aux`` the result is ``((value, aux), gradient)``, as in JAX.
    ``grad_and_value`` is PyTorch's name, with the pair the other way round.
    """
    return _grad_transform(f, argnums, has_aux, "value_and_grad", with_value=True)


def grad_and_value(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """``(grad, value)``: ``torch.func.grad_and_value``, PyTorch's order of ``value_and_grad``.

    With ``has_aux`` the result is ``(gradient, (value, aux))``, as in PyTorch.
    """
    both = value_and_grad(f, argnums, has_aux)

    def transformed(*args: Any) -> Any:
        value, gradient = both(*args)
        return gradient, value

    return _named(transformed, "grad_and_value", f)


def _grad_transform(f: Callable[..., Any], argnums: Any, has_aux: bool, name: str,
                    with_value: bool) -> Callable[..., Any]:
    _check_function(f, name)

    def transformed(*args: Any) -> Any:
        positions, single = _argnums(argnums, len(args), name)
        call = _Call(f, args, positions, name, has_aux)
        if call.container is not None or call.outputs[0].shape is not None:
            raise ValueError(
                f"{name}: f must return a scalar (a Value or a number), got "
                f"{_describe_output(call)}; use jacrev, jacfwd or vjp for other outputs"
            )
        gradient = call.blocks(_reverse_rows(call), single)
        if with_value:
            value = call.value()
            return ((value, call.aux) if has_aux else value), gradient
        return call.with_aux(gradient, has_aux)

    return _named(transformed, name, f)


def _describe_output(call: _Call) -> str:
    if call.container is not None:
        return f"a {call.container.__name__} of {len(call.outputs)} outputs"
    return f"an array of shape {call.outputs[0].shape}"


def jacrev(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode, as a function (``torch.func.jacrev``, ``jax.jacrev``).

    J[k, j] = d out_k / d x_j, of shape ``out.shape + x.shape``: one reverse
    sweep per output element, each giving a row. Cheap when there are fewer
    outputs than inputs.
    """
    return _jacobian_transform(f, argnums, has_aux, "jacrev", forward=False)


def jacfwd(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by forward mode, as a function (``torch.func.jacfwd``, ``jax.jacfwd``).

    The same matrix as ``jacrev``, built a column at a time: one forward
    sweep per input element, with tangent 1 on that element and 0 on the
    others. Cheap when there are fewer inputs than outputs.
    """
    return _jacobian_transform(f, argnums, has_aux, "jacfwd", forward=True)


def _jacobian_transform(f: Callable[..., Any], argnums: Any, has_aux: bool, name: str,
                        forward: bool) -> Callable[..., Any]:
    _check_function(f, name)

    def transformed(*args: Any) -> Any:
        positions, single = _argnums(argnums, len(args), name)
        call = _Call(f, args, positions, name, has_aux)
        if forward:
            columns = _forward_columns(call, [{leaf: 1.0} for leaf in call.leaves()])
            rows = [list(r) for r in zip(*columns, strict=True)] or [[] for _ in range(_n_out(call))]
        else:
            rows = _reverse_rows(call)
        return call.with_aux(call.blocks(rows, single), has_aux)

    return _named(transformed, name, f)


def _n_out(call: _Call) -> int:
    return sum(len(o.nodes) for o in call.outputs)


def hessian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian ``jacfwd(jacrev(f, argnums), argnums)``, exactly as ``torch.func.hessian``.

    H[i, j] = d^2 f / d x_i d x_j: forward mode over reverse mode. For a
    scalar ``f`` of a vector of length n it is n x n; for a tuple
    ``argnums`` it is a tuple of tuples of blocks (H[a][b] = d^2 f / d x_a d x_b).
    """
    _check_function(f, "hessian")
    return _named(jacfwd(jacrev(f, argnums), argnums), "hessian", f)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """``(f(*primals), vjp_fn)``: the vector-Jacobian product, as ``torch.func.vjp``.

    ``vjp_fn(cotangents)`` is the tuple (one entry per primal) of
    sum_k cotangents_k d out_k / d primal, the reverse sweep of
    ``sum_k cotangents_k * out_k``; ``cotangents`` has the output's structure
    and shapes. It may be called any number of times. With ``has_aux`` the
    result is ``(output, vjp_fn, aux)``.
    """
    _check_function(f, "vjp")
    call = _Call(f, primals, tuple(range(len(primals))), "vjp", has_aux)

    def vjp_fn(cotangents: Any) -> tuple:
        parts = _match("vjp_fn", "cotangents", cotangents, call)
        keep = call.keep or _depth.get() > 0 or _holds_value(cotangents)
        terms = [node * c for o, cs in zip(call.outputs, parts, strict=True)
             for node, c in zip(o.nodes, cs, strict=True)]
        total = sum(terms[1:], terms[0]) if terms else Value(0.0)
        flat = _reverse_grad(total, call.leaves(), create_graph=keep)
        results, start = [], 0
        for inp in call.inputs:
            n = len(inp.leaves)
            results.append(_shaped(flat[start:start + n], _shape_of(inp.shape), keep))
            start += n
        return tuple(results)

    vjp_fn.__doc__ = "The vector-Jacobian product of the primal call; see autograd.func.vjp."
    out = call.value()
    return (out, vjp_fn, call.aux) if has_aux else (out, vjp_fn)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple:
    """``(f(*primals), jvp_out)``: the Jacobian-vector product in one sweep (``torch.func.jvp``).

    ``jvp_out`` = sum_j d out / d primal_j * tangents_j, shaped as the output;
    each tangent has its primal's shape. With ``has_aux`` the result is
    ``(output, jvp_out, aux)``.
    """
    _check_function(f, "jvp")
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"jvp: {what} must be a tuple (f is called as f(*primals)), "
                            f"got {describe(seq)}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; "
                         "give one tangent per primal")
    call = _Call(f, primals, tuple(range(len(primals))), "jvp", has_aux,
                 keep=_holds_value(tangents))
    seed: dict = {}
    for i, (inp, t) in enumerate(zip(call.inputs, tangents, strict=True)):
        ts = _flat_like(t, inp.shape, "jvp", f"tangent {i}")
        for leaf, tv in zip(inp.leaves, ts, strict=True):
            seed[leaf] = tv if isinstance(tv, Value) else as_float(tv, "jvp")  # Values: keep
    (column,) = _forward_columns(call, [seed])
    out, start = [], 0
    for o in call.outputs:
        n = len(o.nodes)
        out.append(_shaped(column[start:start + n], _shape_of(o.shape), call.keep))
        start += n
    result = (call.value(), _pack(out, call.container))
    return (*result, call.aux) if has_aux else result


def _flat_like(x: Any, shape: tuple[int, ...] | None, name: str, where: str) -> list:
    """The elements of ``x``, which must have ``shape`` (None: a scalar), or a ValueError."""
    if isinstance(x, np.ndarray) and x.ndim > 0:
        if shape != x.shape:
            raise ValueError(f"{name}: {where} has shape {x.shape}, expected "
                             f"{'a scalar' if shape is None else shape}")
        return list(x.flat)
    if isinstance(x, np.ndarray):
        x = x.item()
    if shape is not None:
        raise ValueError(f"{name}: {where} is a scalar, expected an array of shape {shape}")
    if not isinstance(x, (numbers.Real, Value)) or (isinstance(x, Scalar)
                                                    and not isinstance(x, Value)):
        raise TypeError(f"{name}: {where} must be a number, a Value or a numpy array, "
                        f"got {describe(x)}")
    return [x]


def _match(name: str, what: str, x: Any, call: _Call) -> list[list]:
    """The elements of ``x`` per output of ``call``, checked against the outputs' structure."""
    if call.container is None:
        return [_flat_like(x, call.outputs[0].shape, name, what)]
    if not isinstance(x, (tuple, list)) or len(x) != len(call.outputs):
        raise ValueError(f"{name}: f returned {len(call.outputs)} outputs, so {what} must be a "
                         f"tuple of {len(call.outputs)}, got {describe(x)}")
    return [_flat_like(v, o.shape, name, f"{what}[{i}]")
            for i, (v, o) in enumerate(zip(x, call.outputs, strict=True))]


def _named(transformed: Callable[..., Any], name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """Give the transformed function a readable name and docstring."""
    inner = getattr(f, "__name__", type(f).__name__)
    transformed.__name__ = transformed.__qualname__ = f"{name}({inner})"
    transformed.__doc__ = f"autograd.func.{name} of {inner}."
    return transformed
