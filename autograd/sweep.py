"""The two sweeps over a recorded graph, each written once, and a way to watch them edge by edge.

``reverse(order)`` is backpropagation: nodes from the output back to the
inputs, and at each node the table row's local partials d_i; every parent
receives ``d_i * node.grad``. ``forward(order, seeds)`` is forward mode over
the same graph: inputs first, and every node's tangent is
``sum_i d_i * parent_i.tangent``. The partials are the very same numbers in
both, evaluated by the node's row of ``autograd.primitives.TABLE``.

Everything that differentiates a recorded graph runs these two functions:
``backward()`` and ``grad()`` (``autograd.reverse``), ``forward_tangents``
and ``gradcheck`` (``autograd.forward``), anomaly detection, and the
steppers of ``viz``, which only watch. A *watcher* is called once per node,
before the node's contributions are added, with ``(node, partials, factor)``:
the node, its local partials (one per input, in argument order) and the
factor they multiply (the node's grad in reverse mode). ``edges(node,
partials, factor)`` turns that into one ``Edge`` per input, which is how a
stepper reads the sweep; ``watch_backward`` and ``watch_forward`` run a sweep
and return its edges, leaving every node as it was.

The reverse loop is the engine's hot path, so it is written for speed: the
one- and two-input cases are unrolled, a watcher costs one test per node
when there is none, and data is read from the ``_data`` slot (``.data`` is a
property that counts versions, and hands a tracer its own number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .errors import RuleError
from .graph import topological_order
from .primitives import FLOATS, VALUES, Op
from .value import Value

Watcher = Callable[[Value, tuple, Any], None]

__all__ = ["Edge", "RuleError", "Watcher", "check_arity", "forward", "forward_edges", "reverse",
           "reverse_edges", "watch_backward", "watch_forward"]


class Edge(NamedTuple):
    """One application of the chain rule along one edge of the graph.

    Reverse mode: ``parent.grad`` goes from ``before`` to ``after`` by adding
    ``contribution = partial * node.grad``. Forward mode: ``node.tangent``
    gains ``contribution = partial * parent.tangent`` (``before``/``after``
    are the node's running sum). ``arg`` is the parent's position among the
    node's inputs (``x * x`` has two edges from the same parent).
    """

    node: Value
    parent: Value
    arg: int
    partial: float
    factor: float
    contribution: float
    before: float
    after: float


def reverse(order: list[Value], create_graph: bool = False, watch: Watcher | None = None) -> None:
    """Propagate ``grad`` from the last node of ``order`` (a topological order) to all the others.

    Each node's ``grad`` is its accumulator: the caller seeds the output's and
    zeroes the rest (``autograd.reverse`` does, and restores them). With
    ``create_graph`` the rules are evaluated on the nodes themselves (the
    ``VALUES`` backend), so every partial, product and sum is recorded and
    the gradients are differentiable ``Value`` s.
    """
    m = VALUES if create_graph else FLOATS
    for node in reversed(order):
        parents = node._prev
        if not parents:
            continue
        g = node.grad
        # A node with parents has an Op; a bare label (Value(x, (a,), 'mystery')) raises
        # AttributeError here, which autograd.reverse reports as a RuleError naming the op.
        partials = node._op.partials  # type: ignore[attr-defined]
        n = len(parents)
        if create_graph:
            ds = partials(m, node, *parents)
        elif n == 2:  # the common arities are unrolled: this is the engine's hot path
            a, b = parents
            da, db = ds = partials(m, node._data, a._data, b._data)
            if watch is not None:
                watch(node, ds, g)
            a.grad += da * g
            b.grad += db * g
            continue
        elif n == 1:
            a = parents[0]
            (da,) = ds = partials(m, node._data, a._data)
            if watch is not None:
                watch(node, ds, g)
            a.grad += da * g
            continue
        else:
            ds = partials(m, node._data, *[p._data for p in parents])
        check_arity(node, ds)
        if watch is not None:
            watch(node, ds, g)
        for p, d in zip(parents, ds, strict=True):
            p.grad = p.grad + d * g


def forward(
    order: list[Value],
    seeds: Mapping[Value, Any],
    watch: Watcher | None = None,
    create_graph: bool = False,
) -> list:
    """Tangents of every node of ``order`` (inputs first), from the ``seeds`` of its leaves.

    Leaves not in ``seeds`` have tangent 0. The result is a list parallel to
    ``order``; no node is changed (``forward_tangents`` stores them). A
    watcher receives ``(node, partials, parent_tangents)``. With
    ``create_graph`` the rules are evaluated on the nodes themselves (the
    ``VALUES`` backend, as in ``reverse``), so the tangents are ``Value`` s
    that can be differentiated again (``autograd.func.jacfwd`` nested in
    another transform).
    """
    index = {v: i for i, v in enumerate(order)}
    tangents: list = [0.0] * len(order)
    m = VALUES if create_graph else FLOATS
    for i, node in enumerate(order):
        parents = node._prev
        if not parents:
            t = seeds.get(node)
            if t is not None:
                tangents[i] = t
            continue
        op = node._op
        if not isinstance(op, Op):
            raise RuleError(f"no derivative rule for op {op!r}: it is not in the primitive table "
                            "(autograd.primitives.TABLE); build the node from Value operations")
        if create_graph:
            ds = op.partials(m, node, *parents)
        else:
            ds = op.partials(m, node._data, *[p._data for p in parents])
        check_arity(node, ds)
        factors = tuple(tangents[index[p]] for p in parents)
        if watch is not None:
            watch(node, ds, factors)
        t = 0.0
        for d, tp in zip(ds, factors, strict=True):
            t += d * tp
        tangents[i] = t
    return tangents


def check_arity(node: Value, ds: object) -> None:
    """A RuleError unless the rule gave one partial per input."""
    if not isinstance(ds, tuple) or len(ds) != len(node._prev):
        got = len(ds) if isinstance(ds, tuple) else type(ds).__name__
        raise RuleError(
            f"the rule for {node._op!r} returned {got} partials for {len(node._prev)} inputs"
        )


def reverse_edges(node: Value, ds: tuple, g: float) -> list[Edge]:
    """The reverse-mode edges of one watched node, with each parent's grad before and after."""
    running: dict[int, float] = {}
    out = []
    for arg, (p, d) in enumerate(zip(node._prev, ds, strict=True)):
        before = running.get(id(p), p.grad)
        contribution = d * g
        after = before + contribution  # the sweep's `p.grad += d * g`, in the same order
        running[id(p)] = after
        out.append(Edge(node, p, arg, d, g, contribution, before, after))
    return out


def forward_edges(node: Value, ds: tuple, factors: tuple) -> list[Edge]:
    """The forward-mode edges of one watched node, with its running tangent sum."""
    out = []
    t = 0.0
    for arg, (p, d, tp) in enumerate(zip(node._prev, ds, factors, strict=True)):
        contribution = d * tp
        before, t = t, t + contribution  # forward()'s `t += d * tp`, in the same order
        out.append(Edge(node, p, arg, d, tp, contribution, before, t))
    return out


def watch_backward(
    root: Value, gradient: float = 1.0, order: list[Value] | None = None
) -> tuple[list[Value], list[float], list[list[Edge]]]:
    """Run the backward sweep from ``root``; return its topological order, the grads and the edges.

    The grads are parallel to the order; the edges come grouped by node, in
    the order the sweep visits the nodes. ``order`` may give another
    topological order of the same graph (ending with ``root``) to sweep in.
    Every ``.grad`` is left as it was (the sweep runs on fresh accumulators,
    as ``autograd.grad`` does), so watching changes nothing.
    """
    from .reverse import run_fresh

    if order is None:
        order = topological_order(root)
    visits: list[list[Edge]] = []

    def record(node: Value, ds: tuple, g: float) -> None:
        visits.append(reverse_edges(node, tuple(float(d) for d in ds), g))

    grads = run_fresh(order, gradient, watch=record)
    return order, grads, visits


def watch_forward(
    root: Value, seeds: Mapping[Value, float], order: list[Value] | None = None
) -> tuple[list[Value], list[float], list[list[Edge]]]:
    """Run forward mode through ``root``'s graph; return the order, the tangents and the edges.

    ``order``, when the caller has it already, is ``topological_order(root)``.
    """
    if order is None:
        order = topological_order(root)
    visits: list[list[Edge]] = []

    def record(node: Value, ds: tuple, factors: tuple) -> None:
        visits.append(forward_edges(node, tuple(float(d) for d in ds), factors))

    tangents = forward(order, seeds, watch=record)
    return order, tangents, visits
