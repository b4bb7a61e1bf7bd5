"""Stepping through a sweep: the backward pass (or forward mode) one chain-rule step at a time.

``step_backward(root)`` replays the reverse sweep exactly as the engine runs
it (``autograd.reverse``): nodes from the output back, and for each node one
step per argument, in argument order, adding ``d_i * node.grad`` into the
parent. The partials ``d_i`` come from the node's row of the primitive table,
so every number is the one ``backward()`` computes, and the final gradients
equal what it gives. A node used twice (``a + a``) receives two steps.
``step_forward(root, seeds)`` does the same for forward mode: one step per
seeded input, then one per node, setting its tangent from its parents'.

Nothing in the graph is changed: the stepper keeps its own gradients. The
``Stepper`` it returns holds the ``steps`` and the values after each one
(``state(k)``), and writes a self-contained HTML page (``to_html``), which
also displays in Jupyter (``viz.page``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import (
    DivisionByZero,
    DomainError,
    NumericOverflow,
    RuleError,
    Value,
    topological_order,
)
from autograd.primitives import FLOATS, Op

from .graph import DEFAULT_MAX_NODES, Options, Plan, check_options, plan
from .page import stepper_html

# How each op's partial derivatives read, for the step text only (the numbers come from the
# table). {0}, {1} name the inputs and {out} the node; ops not listed read as d{out}/d{0}.
PARTIAL_TEXT: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"),
    "-": ("1", "-1"),
    "*": ("{1}.data", "{0}.data"),
    "/": ("1/{1}.data", "-{out}.data/{1}.data"),
    "neg": ("-1",),
    "pow": ("{1}.data * {0}.data**({1}.data - 1)", "{out}.data * log({0}.data)"),
    "exp": ("{out}.data",),
    "log": ("1/{0}.data",),
    "log1p": ("1/(1 + {0}.data)",),
    "expm1": ("({out}.data + 1)",),
    "sqrt": ("0.5/{out}.data",),
    "sin": ("cos({0}.data)",),
    "cos": ("-sin({0}.data)",),
    "tanh": ("(1 - {out}.data**2)",),
    "sigmoid": ("{out}.data * (1 - {out}.data)",),
    "relu": ("({0}.data > 0)",),
    "abs": ("sign({0}.data)",),
}
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class Step:
    """One step of a sweep.

    ``node`` is the node being propagated (reverse) or computed (forward) and
    ``target`` the node whose grad (reverse) or tangent (forward) this step
    sets, from ``before`` to ``after`` (indices into ``Stepper.nodes``, which
    are the ``n0, n1, ...`` of the drawing). Reverse: ``arg`` is the target's
    position among the node's inputs, ``partials`` the one local derivative
    and ``factors`` the node's grad. Forward: ``partials`` has one entry per
    input and ``factors`` holds the inputs' tangents. A seed step has neither.
    """

    index: int
    node: int
    target: int
    arg: int | None
    partials: tuple[float, ...]
    factors: tuple[float, ...]
    before: float | None
    after: float
    text: str

    @property
    def seed(self) -> bool:
        """True for a step that sets a starting value (the output's grad, an input's tangent)."""
        return not self.partials


class Stepper:
    """A recorded sweep: ``steps``, the values after each (``state``), and its HTML page."""

    def __init__(
        self,
        mode: str,
        roots: list[Value],
        nodes: list[Value],
        names: list[str],
        start: list[float | None],
        steps: list[Step],
        options: Options,
        id_prefix: str | None = None,
    ) -> None:
        self.mode = mode
        self.roots = roots
        self.nodes = nodes
        self.names = names
        self.start = start
        self.steps = steps
        self.options = options
        self.id_prefix = id_prefix
        self.layout: tuple[str, str | None, Plan] | None = None  # made once by viz.page

    @property
    def quantity(self) -> str:
        """What the sweep computes: ``'grad'`` (reverse) or ``'tangent'`` (forward)."""
        return "grad" if self.mode == "reverse" else "tangent"

    def state(self, k: int) -> list[float | None]:
        """Every node's grad (or tangent) after the first ``k`` steps (None: not set yet)."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(self.steps):
            raise ValueError(f"Stepper.state: k must be an integer from 0 to {len(self.steps)}; "
                             f"got {k!r}")
        values = list(self.start)
        for step in self.steps[:k]:
            values[step.target] = step.after
        return values

    @property
    def final(self) -> list[float | None]:
        """The values after the last step: what ``backward()`` (or ``forward_tangents``) gives."""
        return self.state(len(self.steps))

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __repr__(self) -> str:
        return (f"Stepper(mode={self.mode!r}, nodes={len(self.nodes)}, "
                f"steps={len(self.steps)})")

    def drawing_plan(self, id_prefix: str) -> Plan:
        """The drawing of this sweep's final state, with SVG ids starting with ``id_prefix``."""
        final = self.final
        if self.mode == "reverse":
            return plan(self.roots, self.options, grads=[float(x) for x in final],
                        id_prefix=id_prefix)
        return plan(self.roots, self.options, grads=[0.0] * len(final), tangents=final,
                    id_prefix=id_prefix)

    def html(self, full_page: bool = False) -> str:
        """The stepper as HTML: a fragment for a notebook, or a whole page with ``full_page``."""
        return stepper_html(self, full_page=full_page)

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write one self-contained HTML page (no network access needed) and return its path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Stepper.to_html: path must be a str or a path, got "
                            f"{type(path).__name__}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(full_page=True), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """Jupyter: the same stepper inline; it needs no kernel once displayed."""
        return self.html()


def step_backward(
    root: Value,
    gradient: float = 1.0,
    *,
    model: Any = None,
    collapse: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    digits: int = 4,
    id_prefix: str | None = None,
) -> Stepper:
    """Record the backward pass from ``root`` one chain-rule step at a time.

    The first step seeds ``root.grad = gradient``; then, for each node from
    the output back, one step per input: ``a.grad += b.data * e.grad = -3.0 *
    -2.0 = 6.0``. ``.grad`` in the graph is left untouched. ``model``,
    ``collapse``, ``max_nodes``, ``rankdir`` and ``digits`` are ``draw_graph``'s,
    for the picture. ``id_prefix`` fixes the prefix of the page's element ids
    (by default a fresh random one each time HTML is made, so that any number
    of steppers can share a page).
    """
    if not isinstance(root, Value):
        raise TypeError(f"step_backward: root must be a Value, got {type(root).__name__}")
    if isinstance(gradient, bool) or not isinstance(gradient, (int, float)):
        raise TypeError(f"step_backward: gradient must be a number, got {type(gradient).__name__}")
    options = check_options("step_backward", rankdir=rankdir, show_grad=True, show_tangent=False,
                            model=model, collapse=collapse, max_nodes=max_nodes, color="grad",
                            digits=digits)
    _check_prefix("step_backward", id_prefix)
    order = topological_order(root)  # the drawing numbers nodes the same way
    index = {v: i for i, v in enumerate(order)}
    names = _names(order)
    grads = [0.0] * len(order)
    top = len(order) - 1
    seed = float(gradient)
    what = "d{0}/d{0} = 1" if seed == 1.0 else "the seed passed to backward"
    steps = [Step(0, top, top, None, (), (), 0.0, seed,
                  f"{names[top]}.grad = {_num(seed)}  ({what.format(names[top])})")]
    grads[top] = seed
    for i in range(top, -1, -1):
        node = order[i]
        if not node._prev:
            continue
        ds = _partials(node)
        g = grads[i]
        for arg, (parent, d) in enumerate(zip(node._prev, ds)):
            k = index[parent]
            before = grads[k]
            after = before + d * g  # the engine's `parent.grad += d * node.grad`
            grads[k] = after
            formula = _partial_text(node, arg, names, index)
            text = (f"{names[k]}.grad += {formula} * {names[i]}.grad = {_num(d)} * {_num(g)}"
                    f" = {_num(d * g)}")
            steps.append(Step(len(steps), i, k, arg, (d,), (g,), before, after, text))
    return Stepper("reverse", [root], order, names, [0.0] * len(order), steps, options, id_prefix)


def step_forward(
    root: Value,
    seeds: Mapping[Value, float],
    *,
    model: Any = None,
    collapse: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    digits: int = 4,
    id_prefix: str | None = None,
) -> Stepper:
    """Record forward mode through ``root``'s graph, one step per node, inputs first.

    ``seeds`` maps inputs (leaves) to their tangents, as ``forward_tangents``;
    other leaves start at 0. Each seeded input gets a step, then every other
    node one: ``c.tangent = b.data * a.tangent + a.data * b.tangent = ...``.
    The final tangents equal ``forward_tangents(root, seeds)``; ``.tangent`` in
    the graph is left untouched. The other arguments are ``step_backward``'s.
    """
    if not isinstance(root, Value):
        raise TypeError(f"step_forward: root must be a Value, got {type(root).__name__}")
    if not isinstance(seeds, Mapping):
        raise TypeError(f"step_forward: seeds must be a mapping {{leaf: tangent}}, got "
                        f"{type(seeds).__name__}")
    options = check_options("step_forward", rankdir=rankdir, show_grad=False, show_tangent=True,
                            model=model, collapse=collapse, max_nodes=max_nodes,
                            color="tangent", digits=digits)
    _check_prefix("step_forward", id_prefix)
    order = topological_order(root)  # the drawing numbers nodes the same way
    index = {v: i for i, v in enumerate(order)}
    names = _names(order)
    seeded = _check_seeds(seeds, index)
    tangents: list[float | None] = [None if v._prev or v in seeded else 0.0 for v in order]
    start = list(tangents)
    steps: list[Step] = []
    for i, v in enumerate(order):
        if v in seeded:
            t = seeded[v]
            steps.append(Step(len(steps), i, i, None, (), (), None, t,
                              f"{names[i]}.tangent = {_num(t)}  (seed)"))
            tangents[i] = t
    for i, v in enumerate(order):
        if not v._prev:
            continue
        ds = _partials(v)
        factors = tuple(tangents[index[p]] for p in v._prev)
        t = 0.0
        for d, tp in zip(ds, factors):
            t += d * tp  # the same sum, in the same order, as forward_tangents
        tangents[i] = t
        terms = " + ".join(f"{_partial_text(v, a, names, index)} * {names[index[p]]}.tangent"
                           for a, p in enumerate(v._prev))
        numbers = " + ".join(f"{_num(d)} * {_num(tp)}" for d, tp in zip(ds, factors))
        text = f"{names[i]}.tangent = {terms} = {numbers} = {_num(t)}"
        steps.append(Step(len(steps), i, i, None, tuple(ds), factors, None, t, text))
    return Stepper("forward", [root], order, names, start, steps, options, id_prefix)


def _names(order: list[Value]) -> list[str]:
    """How steps name each node: its label when no other node has it, else ``n{i}``."""
    counts: dict[str, int] = {}
    for v in order:
        if v.label:
            counts[v.label] = counts.get(v.label, 0) + 1
    return [v.label if v.label and counts[v.label] == 1 else f"n{i}" for i, v in enumerate(order)]


def _partials(node: Value) -> tuple[float, ...]:
    """The node's local derivatives from its table row, as the engine computes them."""
    op = node._op
    inputs = [p.data for p in node._prev]
    if not isinstance(op, Op):
        raise RuleError(f"stepper: no derivative rule for op {op!r}: it is not in the "
                        "primitive table (autograd.primitives.TABLE)")
    try:
        ds = op.partials(FLOATS, node.data, *inputs)
    except ZeroDivisionError as exc:
        raise DivisionByZero(f"backward of {op}", inputs,
                             f"the derivative is not finite here ({exc})") from exc
    except OverflowError as exc:
        raise NumericOverflow(f"backward of {op}", inputs,
                              f"the derivative is not finite here ({exc})") from exc
    except (ArithmeticError, ValueError) as exc:
        raise DomainError(f"backward of {op}", inputs,
                          f"the derivative is not finite here ({exc})") from exc
    if not isinstance(ds, tuple) or len(ds) != len(inputs):
        raise RuleError(f"the rule for {op!r} returned the wrong number of partials for "
                        f"{len(inputs)} inputs")
    return tuple(float(d) for d in ds)


def _partial_text(node: Value, arg: int, names: list[str], index: dict[Value, int]) -> str:
    """How d node / d input ``arg`` reads: ``b.data`` for ``a * b``, else ``de/da``."""
    op = node._op
    out = names[index[node]]
    inputs = [names[index[p]] for p in node._prev]
    prim = getattr(op, "prim", None)
    if prim is not None and prim.name == "**":
        c = op.params[0]
        return f"{c:g} * {inputs[0]}.data**{c - 1:g}"
    templates = PARTIAL_TEXT.get(prim.name if prim is not None else str(op))
    if templates is None or len(templates) != len(inputs):
        return f"d{out}/d{inputs[arg]}"
    return templates[arg].format(*inputs, out=out)


def _check_seeds(seeds: Mapping[Value, float], index: dict[Value, int]) -> dict[Value, float]:
    checked: dict[Value, float] = {}
    for leaf, t in seeds.items():
        if not isinstance(leaf, Value):
            raise TypeError(f"step_forward: seeds must be keyed by Values, got "
                            f"{type(leaf).__name__}")
        if leaf._prev:
            raise ValueError(f"step_forward: seed given for {leaf!r}, which is not a leaf")
        if leaf not in index:
            raise ValueError(f"step_forward: seed given for {leaf!r}, which the output does "
                             "not depend on")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise TypeError(f"step_forward: the tangent of {leaf!r} must be a finite number, "
                            f"got {t!r}")
        checked[leaf] = float(t)
    return checked


def _check_prefix(fn: str, prefix: str | None) -> None:
    if prefix is not None and (not isinstance(prefix, str) or not _PREFIX.match(prefix)):
        raise ValueError(f"{fn}: id_prefix must start with a letter and hold only letters, "
                         f"digits, '-' and '_'; got {prefix!r}")


def _num(x: float | None) -> str:
    """A number in a step's text: Python's repr when short (-3.0), else 6 significant digits."""
    if x is None:
        return "–"
    r = repr(float(x))
    return r if len(r) <= 9 else f"{x:.6g}"

