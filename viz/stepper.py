"""Stepping through a sweep: backpropagation (or forward mode) one chain-rule step at a time.

The stepper runs no sweep of its own: it *watches* the engine's
(``autograd.sweep``), which reports every edge as it goes: the node, the
parent, the argument position, the local partial from the node's row of the
primitive table, and the contribution. So every number a step shows is the
one ``backward()`` computes, added in the same order, and the final
gradients equal what it gives. Watching leaves every ``.grad`` and
``.tangent`` in the graph as it was.

``step_backward(root)`` makes one step per chain-rule application (one edge
of an op: ``a.grad += b * e.grad``); with ``model=`` and ``by="neuron"`` or
``by="layer"``, one step per neuron or layer: the run of the sweep that
passes the gradient through that module. A one-sample ``MLP(2, [16, 16, 1])``
is 1,254 steps by op, 35 by neuron and 5 by layer. ``step_forward(root,
seeds)`` does the same for forward mode: one step per seeded input, then one
per node, setting its tangent from its parents'. ``quiz=True`` asks the
learner for each new value before showing it.

The ``Stepper`` holds the ``steps`` and the values after each one
(``state(k)``), and writes a self-contained HTML page (``to_html``), which
also displays in Jupyter (``viz.page``).
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import Value, topological_order
from autograd.sweep import Edge, watch_backward, watch_forward

from .collapse import natural_key
from .graph import DEFAULT_MAX_NODES, DrawnGraph, Options, check_options, plan
from .groups import COLLAPSE_LEVELS, units
from .page import Page, stepper_html

BY = ("op", *COLLAPSE_LEVELS)
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class SweepStep:
    """One step of a sweep, as the stepper shows it (``autograd.Step`` is a tape's step).

    ``node`` is the node being propagated (reverse) or computed (forward) and
    ``target`` the node whose grad (reverse) or tangent (forward) this step
    sets, from ``before`` to ``after`` (indices into ``Stepper.nodes``, which
    are the ``n0, n1, ...`` of the drawing). Reverse: ``arg`` is the target's
    position among the node's inputs, ``partials`` the one local derivative
    and ``factors`` the node's grad. Forward: ``partials`` has one entry per
    input and ``factors`` holds the inputs' tangents. A seed step has neither.

    A step that covers a whole neuron or layer (``by=``) holds its chain-rule
    steps in ``parts``; its ``target`` is the value a quiz asks for (the
    module's first parameter by name, else the last value set), ``unit`` the
    module and ``lines`` the text of each part.
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
    unit: str = ""
    parts: tuple[SweepStep, ...] = ()

    @property
    def seed(self) -> bool:
        """True for a step that sets a starting value (the output's grad, an input's tangent)."""
        return not self.partials and not self.parts

    @property
    def sets(self) -> tuple[tuple[int, float], ...]:
        """Every ``(node, value)`` this step writes, in order."""
        if self.parts:
            return tuple((p.target, p.after) for p in self.parts)
        return ((self.target, self.after),)

    @property
    def lines(self) -> tuple[str, ...]:
        """The chain-rule steps inside a grouped step, as text (empty for a single step)."""
        return tuple(p.text for p in self.parts)


class Stepper(Page):
    """A recorded sweep: ``steps``, the values after each (``state``), and its HTML page."""

    def __init__(
        self,
        mode: str,
        roots: list[Value],
        nodes: list[Value],
        names: list[str],
        start: list[float | None],
        steps: list[SweepStep],
        options: Options,
        id_prefix: str | None = None,
        *,
        by: str = "op",
        quiz: bool = False,
        layers: list[str] | None = None,
        neurons: list[str] | None = None,
        drawing: DrawnGraph | None = None,
        token: str = "",
    ) -> None:
        self.mode = mode
        self.roots = roots
        self.nodes = nodes
        self.names = names
        self.start = start
        self.steps = steps
        self.options = options
        self.id_prefix = id_prefix
        self.by = by
        self.quiz = quiz
        # per node, the layer and the neuron it is in ('' outside the model): the jumps
        self.layers = layers or [""] * len(nodes)
        self.neurons = neurons or [""] * len(nodes)
        self.token = token
        self._plan = drawing
        self.layout: tuple[str, str | None, DrawnGraph] | None = None  # made once by viz.page

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
            for target, after in step.sets:
                values[target] = after
        return values

    @property
    def final(self) -> list[float | None]:
        """The values after the last step: what ``backward()`` (or ``forward_tangents``) gives."""
        return self.state(len(self.steps))

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[SweepStep]:
        return iter(self.steps)

    def __repr__(self) -> str:
        return (f"Stepper(mode={self.mode!r}, by={self.by!r}, nodes={len(self.nodes)}, "
                f"steps={len(self.steps)})")

    def drawing_plan(self, id_prefix: str) -> DrawnGraph:
        """The drawing of this sweep's final state, with SVG ids starting with ``id_prefix``."""
        if self._plan is not None and id_prefix == self.token:
            return self._plan
        return _plan(self.roots, self.options, self.mode, self.final, id_prefix)

    def html(self, full_page: bool = False) -> str:
        """The stepper as HTML: a fragment for a notebook, or a whole page with ``full_page``."""
        return stepper_html(self, full_page=full_page)



def _plan(
    roots: list[Value], options: Options, mode: str, values: list, prefix: str
) -> DrawnGraph:
    if mode == "reverse":
        return plan(roots, options, grads=[float(x) for x in values], id_prefix=prefix)
    return plan(roots, options, grads=[0.0] * len(values), tangents=values, id_prefix=prefix)


def _new_token() -> str:
    import secrets

    return f"bpsTOKEN{secrets.token_hex(8)}_"  # no '-': Graphviz writes it as &#45; in ids


def step_backward(
    root: Value,
    gradient: float = 1.0,
    *,
    model: Any = None,
    collapse: str | None = None,
    by: str = "op",
    quiz: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    digits: int = 4,
    id_prefix: str | None = None,
) -> Stepper:
    """Record the backward pass from ``root`` one chain-rule step (or one module) at a time.

    The first step seeds ``root.grad = gradient``; then, for each node from
    the output back, one step per input: ``a.grad += b * e.grad = -3.0 *
    -2.0 = 6.0``, where ``b`` stands for ``b.data`` and the factor ``b`` is
    the op's partial as its table row writes it. ``.grad`` in the graph is
    left untouched.

    ``by="neuron"`` or ``"layer"`` (with ``model=``, an ``nn.Module``) makes one
    step of each neuron or layer the sweep passes through; the picture is
    then collapsed to that level unless ``collapse`` says otherwise, and the
    boxes show each module's values as of the current step. With ``model``,
    parameters are named by their module names (``layers.1.neurons.3.w.0``).
    ``quiz=True`` hides each new value until the learner types a guess.
    ``collapse``, ``max_nodes``, ``rankdir`` and ``digits`` are
    ``draw_graph``'s. ``id_prefix`` fixes the prefix of the page's element
    ids (by default a fresh random one each time HTML is made).
    """
    if not isinstance(root, Value):
        raise TypeError(f"step_backward: root must be a Value, got {type(root).__name__}")
    if isinstance(gradient, bool) or not isinstance(gradient, (int, float)):
        raise TypeError(f"step_backward: gradient must be a number, got {type(gradient).__name__}")
    if not math.isfinite(gradient):
        raise ValueError(f"step_backward: gradient must be finite, got {gradient!r}")
    if by not in BY:
        raise ValueError(f"step_backward: by must be 'op', 'neuron' or 'layer'; got {by!r}")
    if by != "op" and model is None:
        raise ValueError(f"step_backward: by={by!r} needs model= (an nn.Module) to know which "
                         "neuron or layer made each node")
    _check_flag("step_backward", "quiz", quiz)
    if collapse is None and by != "op":
        collapse = by
    options = check_options("step_backward", rankdir=rankdir, show_grad=True, show_tangent=False,
                            model=model, collapse=collapse, max_nodes=max_nodes, color="grad",
                            digits=digits)
    _check_prefix("step_backward", id_prefix)
    seed = float(gradient)
    order, final, visits = watch_backward(root, seed)
    token = _new_token()
    drawing = _plan([root], options, "reverse", final, token)
    index = {v: i for i, v in enumerate(order)}
    names = _names(order, drawing)
    layers, neurons = _modules(drawing)
    if by != "op":
        unit_of = layers if by == "layer" else neurons
        regrouped = _module_order(order, unit_of)
        if regrouped is not None:  # the same floats as the engine's order: see _module_order
            visits = watch_backward(root, seed, regrouped)[2]
    top = len(order) - 1
    what = "d{0}/d{0} = 1" if seed == 1.0 else "the seed passed to backward"
    steps = [SweepStep(0, top, top, None, (), (), 0.0, seed,
                       f"{names[top]}.grad = {_num(seed)}  ({what.format(names[top])})", layers[top])]
    for edges in visits:
        for e in edges:
            i, k = index[e.node], index[e.parent]
            formula = _formula(e, names, index)
            text = (f"{names[k]}.grad += {formula} * {names[i]}.grad = {_num(e.partial)} * "
                    f"{_num(e.factor)} = {_num(e.contribution)}")
            steps.append(SweepStep(len(steps), i, k, e.arg, (e.partial,), (e.factor,),
                                   e.before, e.after, text, neurons[i] or layers[i]))
    if by != "op":
        steps = _grouped(steps, layers if by == "layer" else neurons, drawing, names)
    return Stepper("reverse", [root], order, names, [0.0] * len(order), steps, options, id_prefix,
                   by=by, quiz=quiz, layers=layers, neurons=neurons, drawing=drawing, token=token)


def step_forward(
    root: Value,
    seeds: Mapping[Value, float],
    *,
    model: Any = None,
    collapse: str | None = None,
    quiz: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    digits: int = 4,
    id_prefix: str | None = None,
) -> Stepper:
    """Record forward mode through ``root``'s graph, one step per node, inputs first.

    ``seeds`` maps inputs (leaves) to their tangents, as ``forward_tangents``;
    other leaves start at 0. Each seeded input gets a step, then every other
    node one: ``c.tangent = b * a.tangent + a * b.tangent = ...``. The final
    tangents equal ``forward_tangents(root, seeds)``; ``.tangent`` in the
    graph is left untouched. The other arguments are ``step_backward``'s.
    """
    if not isinstance(root, Value):
        raise TypeError(f"step_forward: root must be a Value, got {type(root).__name__}")
    if not isinstance(seeds, Mapping):
        raise TypeError(f"step_forward: seeds must be a mapping {{leaf: tangent}}, got "
                        f"{type(seeds).__name__}")
    _check_flag("step_forward", "quiz", quiz)
    options = check_options("step_forward", rankdir=rankdir, show_grad=False, show_tangent=True,
                            model=model, collapse=collapse, max_nodes=max_nodes,
                            color="tangent", digits=digits)
    _check_prefix("step_forward", id_prefix)
    order = topological_order(root)
    index = {v: i for i, v in enumerate(order)}
    seeded = _check_seeds(seeds, index)
    order, tangents, visits = watch_forward(root, seeded, order)
    final: list[float | None] = [t if (v._prev or v in seeded) else 0.0
                                 for v, t in zip(order, tangents, strict=True)]
    token = _new_token()
    drawing = _plan([root], options, "forward", final, token)
    names = _names(order, drawing)
    layers, neurons = _modules(drawing)
    start: list[float | None] = [None if v._prev or v in seeded else 0.0 for v in order]
    steps: list[SweepStep] = []
    for i, v in enumerate(order):
        if v in seeded:
            t = seeded[v]
            steps.append(SweepStep(len(steps), i, i, None, (), (), None, t,
                                   f"{names[i]}.tangent = {_num(t)}  (seed)",
                                   neurons[i] or layers[i]))
    for edges in visits:
        node = edges[0].node
        i = index[node]
        terms = " + ".join(f"{_formula(e, names, index)} * {names[index[e.parent]]}.tangent"
                           for e in edges)
        numbers = " + ".join(f"{_num(e.partial)} * {_num(e.factor)}" for e in edges)
        t = tangents[i]
        text = f"{names[i]}.tangent = {terms} = {numbers} = {_num(t)}"
        steps.append(SweepStep(len(steps), i, i, None, tuple(e.partial for e in edges),
                               tuple(e.factor for e in edges), None, t, text,
                               neurons[i] or layers[i]))
    return Stepper("forward", [root], order, names, start, steps, options, id_prefix,
                   quiz=quiz, layers=layers, neurons=neurons, drawing=drawing, token=token)


def _module_order(order: list[Value], unit_of: list[str]) -> list[Value] | None:
    """Another sweep order that finishes one module before the next, or None if there is none.

    The engine's order is depth-first, so it can leave a layer half done to
    go down into the layer below. This order takes, among the nodes whose
    consumers are all done, one of the module being swept whenever it can,
    else the engine's next. It is used only if every node receives its
    contributions in the same order as in the engine's sweep: then every
    gradient is the same float, and the stepper shows the engine's numbers.
    """
    n = len(order)
    index = {v: i for i, v in enumerate(order)}
    waiting = [0] * n
    for v in order:
        for p in dict.fromkeys(v._prev):
            waiting[index[p]] += 1
    ready: dict[str, list[int]] = {}
    everyone: list[int] = []

    def push(i: int) -> None:
        key = -i  # the engine sweeps the highest index first
        heapq.heappush(ready.setdefault(unit_of[i], []), key)
        heapq.heappush(everyone, key)

    done = [False] * n
    push(n - 1)
    sweep_order: list[int] = []
    current = unit_of[n - 1]
    while everyone:
        mine = ready.get(current)
        while mine and done[-mine[0]]:
            heapq.heappop(mine)
        if mine:
            i = -heapq.heappop(mine)
        else:
            while done[-everyone[0]]:
                heapq.heappop(everyone)
            i = -heapq.heappop(everyone)
            current = unit_of[i]
        if done[i]:
            continue
        done[i] = True
        sweep_order.append(i)
        for p in dict.fromkeys(order[i]._prev):
            k = index[p]
            waiting[k] -= 1
            if not waiting[k]:
                push(k)
        while everyone and done[-everyone[0]]:
            heapq.heappop(everyone)
    if len(sweep_order) != n:
        return None

    def arrivals(seq: list[int]) -> list[list[tuple[int, int]]]:
        into: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for i in seq:
            for arg, p in enumerate(order[i]._prev):
                into[index[p]].append((i, arg))
        return into

    if arrivals(sweep_order) != arrivals(list(range(n - 1, -1, -1))):
        return None
    return [order[i] for i in reversed(sweep_order)]


def _modules(drawing: DrawnGraph) -> tuple[list[str], list[str]]:
    """Per node, the layer and the neuron it belongs to ('' outside the model, or no model)."""
    groups = drawing.scene.groups
    n = len(drawing.order)
    if groups is None:
        return [""] * n, [""] * n
    layer = [u or "" for u in units(groups, "layer")]
    neuron = [u or "" for u in units(groups, "neuron")]
    return layer, neuron


def _names(order: list[Value], drawing: DrawnGraph) -> list[str]:
    """How steps name each node, always by something the picture shows.

    Its label when no other node has it; a parameter's module name
    (``layers.1.neurons.3.w.0``) when a model is given; ``n{i}`` when the
    node is drawn alone; else the collapsed module it is drawn in and its op
    (``layers.0.neurons.2:tanh``, numbered when the module has several).
    """
    scene = drawing.scene
    groups = scene.groups
    counts: dict[str, int] = {}
    for v in order:
        if v.label:
            counts[v.label] = counts.get(v.label, 0) + 1
    inside: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(scene.keys):
        if not isinstance(key, int):
            where = "earlier values" if key is ... else key
            inside.setdefault((where, str(order[i]._op) or "input"), []).append(i)
    names = []
    for i, v in enumerate(order):
        key = scene.keys[i]
        if v.label and counts[v.label] == 1:
            names.append(v.label)
        elif groups is not None and v in groups.params:
            names.append(groups.params[v])
        elif isinstance(key, int):
            names.append(f"n{i}")
        else:
            where = "earlier values" if key is ... else key
            op = str(v._op) or "input"
            same = inside[(where, op)]
            names.append(f"{where}:{op}" + (f"#{same.index(i) + 1}" if len(same) > 1 else ""))
    return names


def _formula(e: Edge, names: list[str], index: dict[Value, int]) -> str:
    """The partial of ``e`` as its table row writes it, in parentheses when it is a sum."""
    op = e.node._op
    prim = getattr(op, "prim", None)
    inputs = [names[index[p]] for p in e.node._prev]
    out = names[index[e.node]]
    if prim is None:
        text = f"∂{out}/∂{inputs[e.arg]}"
    else:
        text = prim.partial_text(e.arg, inputs, out, getattr(op, "params", ()))
    return f"({text})" if " " in text else text  # templates space out their + and -


def _grouped(
    steps: list[SweepStep], unit_of: list[str], drawing: DrawnGraph, names: list[str]
) -> list[SweepStep]:
    """One step per run of the sweep inside one module (the seed stays a step of its own).

    The sweep visits a neuron's (or a layer's) nodes one after another, so a
    run is the whole module; the values are the engine's, in its order.
    """
    scene = drawing.scene
    groups = scene.groups
    kinds = groups.modules if groups is not None else {}
    out = [steps[0]]
    run: list[SweepStep] = []

    def flush() -> None:
        if not run:
            return
        unit = unit_of[run[0].node]
        params = sorted({s.target for s in run if scene.order[s.target] in groups.params},
                        key=lambda k: natural_key(names[k]))
        target = params[0] if params else run[-1].target
        after = next(a for t, a in reversed([(s.target, s.after) for s in run]) if t == target)
        if not unit:
            where = "outside the model"
        else:
            where = f"{unit} ({kinds[unit]})" if kinds.get(unit) else unit
        largest = max((abs(s.after) for s in run if s.target in params), default=None)
        text = (f"{where}: {len(run)} chain-rule steps pass the gradient back"
                + (f"; {len(params)} parameters get their grads, max |grad| {_num(largest)}"
                   if params else ""))
        out.append(SweepStep(len(out), run[0].node, target, None, (), (), None, after, text,
                             unit, tuple(run)))
        run.clear()

    for step in steps[1:]:
        if run and unit_of[step.node] != unit_of[run[0].node]:
            flush()
        run.append(step)
    flush()
    return out


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


def _check_flag(fn: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be True or False; got {value!r}")


def _check_prefix(fn: str, prefix: str | None) -> None:
    if prefix is not None and (not isinstance(prefix, str) or not _PREFIX.match(prefix)):
        raise ValueError(f"{fn}: id_prefix must start with a letter and hold only letters, "
                         f"digits, '-' and '_'; got {prefix!r}")


def _num(x: float | None) -> str:
    """A number in a step's text: Python's repr when short (-3.0), else 6 significant digits."""
    if x is None:
        return "–"
    x = float(x) + 0.0  # -0.0 reads as 0.0
    r = repr(x)
    return r if len(r) <= 9 else f"{x:.6g}"
