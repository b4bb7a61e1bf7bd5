"""Drawing a computation graph: ``draw_graph`` (a ``graphviz.Digraph``) and ``render`` (a file).

One Graphviz node per ``Value``, showing the op that made it, its label,
``data``, ``grad`` and (after a forward-mode pass) ``tangent``; edges run
from parents to the node in argument order. Node names are ``n0, n1, ...``
by position in ``autograd.topological_order``, which depends only on the
graph, and nothing iterates over a set, so the same graph gives
byte-identical DOT on every run. Every walk is a loop: deep graphs draw at
Python's default recursion limit.

Large graphs stay readable: with ``model=`` (an ``nn.Module``) nodes are
grouped into clusters named after the module that made them
(``viz.groups``), ``collapse="neuron"`` or ``"layer"`` draws each neuron or
layer as one node, and a graph that would have more than ``max_nodes``
nodes is collapsed automatically (``viz.collapse``), with a note in the
picture saying so.

Collapsed by neuron, a layer's neurons stand in index order and the edges
between two layers of neurons are one arrow labelled with their count
(``viz.drawing``). ``title=`` puts a heading above the graph; text is at
least 14 pt, and PNG is rendered at 192 dpi.

Colour shows gradient flow (``viz.colors``): red positive, blue negative,
darker for larger; grey and dashed for an exact zero; optionally an orange
outline for gradients below a ``vanishing`` threshold; a legend explains it.
Without Graphviz's ``dot`` the DOT source is still produced (``viz.dot``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd import Value, topological_order
from autograd.value import check_label

from .collapse import choose_keys, dot_names
from .colors import GradientScale
from .dot import Drawing, GraphvizNotFoundError, for_format
from .drawing import Scene, write
from .groups import COLLAPSE_LEVELS, assign_groups, parameter_names

DEFAULT_MAX_NODES = 300
FORMATS = ("svg", "png", "pdf", "dot")
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_BY = ("auto", "grad", "tangent", None)


@dataclass(frozen=True)
class Options:
    """``draw_graph``'s options, checked by ``check_options``."""

    rankdir: str = "LR"
    show_grad: bool = True
    show_tangent: bool | None = None
    model: Any = None
    collapse: str | None = None
    max_nodes: int | None = DEFAULT_MAX_NODES
    color: str | None = "auto"
    vanishing: float | None = None
    legend: bool = True
    digits: int = 4
    title: str | None = None


def draw_graph(
    root: Value | Sequence[Value],
    rankdir: str = "LR",
    show_grad: bool = True,
    *,
    model: Any = None,
    collapse: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    show_tangent: bool | None = None,
    color: str | None = "auto",
    vanishing: float | None = None,
    legend: bool = True,
    digits: int = 4,
    title: str | None = None,
) -> graphviz.Digraph:
    """Draw everything ``root`` depends on as a ``graphviz.Digraph`` (shown inline in Jupyter).

    - ``root``: a Value, or a list of Values drawn together.
    - ``rankdir``: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"`` or ``"BT"``.
    - ``show_grad``: show each node's ``grad``; ``show_tangent``: its ``tangent``
      (None: when a forward-mode pass has set one).
    - ``model``: anything with ``named_parameters()``; nodes are clustered by the
      module that made them, and parameters are named (``w.0``).
    - ``collapse``: ``"neuron"`` or ``"layer"`` (needs ``model``) draws each neuron or
      layer as one node showing its output(s) and gradient(s).
    - ``max_nodes``: above this many drawn nodes, collapse automatically (None: never).
    - ``color``: ``"grad"``, ``"tangent"``, None (no colour), or ``"auto"``: by grad
      after a backward pass, else by tangent after a forward pass, else none.
    - ``vanishing``: outline the nodes whose gradient is nonzero but below this.
    - ``legend``: explain the colours under the graph; ``digits``: significant digits.
    - ``title``: a heading drawn above the graph (any text; it is escaped).

    Every SVG element has an id that says what it draws: ``n3`` for node 3 (in
    topological order), ``e3_1`` for the edge into node 3 from its argument 1,
    ``g0`` for a collapsed group, ``g0_g5`` for an edge between groups, ``b0``
    for a bundle of edges between two layers, ``c0`` for a module's cluster.

    The result is a ``viz.dot.Drawing``, a ``graphviz.Digraph`` whose ``pipe`` and
    ``render`` raise ``GraphvizNotFoundError`` (saying how to install Graphviz) when
    its ``dot`` program is missing; ``.source`` always works.
    """
    options = check_options(
        "draw_graph", rankdir=rankdir, show_grad=show_grad, show_tangent=show_tangent,
        model=model, collapse=collapse, max_nodes=max_nodes, color=color,
        vanishing=vanishing, legend=legend, digits=digits, title=title,
    )
    return plan(check_roots("draw_graph", root), options, id_prefix="").drawing


def render(
    root: Value | Sequence[Value] | graphviz.Graph | graphviz.Digraph,
    path: str | os.PathLike,
    format: str | None = None,
    **options: Any,
) -> Path:
    """Draw ``root`` (or take an already drawn graph) and write it to ``path``; return the path.

    ``format`` is ``"svg"``, ``"png"``, ``"pdf"`` or ``"dot"`` (the DOT source,
    which needs no Graphviz). When it is not given it is taken from the
    suffix of ``path`` (``.svg``, ``.png``, ``.pdf``, ``.dot`` or ``.gv``, in
    any case), and a path without a suffix is written as SVG. A suffix that
    names another format than ``format`` (``render(loss, "g.png",
    format="svg")``), or, without ``format``, a suffix that names no format
    (``"g.jpg"``), is a ValueError: the bytes in a file should match its name.
    PNG is rendered at 192 dpi (twice the usual). ``options`` are
    ``draw_graph``'s. The file is written exactly at ``path`` (no extension is
    added) and missing parent directories are created. Without Graphviz's
    ``dot``, every format but ``"dot"`` raises ``GraphvizNotFoundError`` saying
    how to install it.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}; got {format!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a str or a path, got {type(path).__name__}")
    format = format_for(path, format)
    if isinstance(root, (graphviz.Graph, graphviz.Digraph)):
        if options:
            raise TypeError(
                f"render: options ({', '.join(sorted(options))}) cannot be applied to an "
                "already drawn graph; pass the Value instead"
            )
        drawing = root
    else:
        drawing = draw_graph(root, **options)
    if format == "dot":
        data = drawing.source.encode("utf-8")
    else:
        try:
            data = for_format(drawing, format).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError(f"render(format={format!r})") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def format_for(path: str | os.PathLike, format: str | None) -> str:
    """The format to write ``path`` in: ``format`` if given, else the suffix's, else svg.

    A ValueError names ``render``, the suffix and the format when they disagree.
    """
    suffix = Path(path).suffix
    named = SUFFIXES.get(suffix.lower())
    if format is None:
        if named is not None:
            return named
        if suffix:
            raise ValueError(
                f"render: cannot tell a format from the suffix {suffix!r} of {os.fspath(path)!r}; "
                f"use one of {', '.join(SUFFIXES)} or pass format= ({', '.join(FORMATS)})"
            )
        return "svg"
    if named is not None and named != format:
        raise ValueError(
            f"render: the suffix {suffix!r} of {os.fspath(path)!r} says {named}, "
            f"but format={format!r}; make them agree"
        )
    return format


@dataclass
class DrawnGraph:
    """A graph as drawn: the ``Drawing`` and the ``Scene`` it was written from, which maps the
    graph onto it (node ``i`` of ``order`` is drawn by ``unit[i]``)."""

    drawing: Drawing
    scene: Scene

    @property
    def order(self) -> list[Value]:
        return self.scene.order

    @property
    def unit(self) -> list[str]:
        return self.scene.unit


def plan(
    roots: list[Value],
    o: Options,
    *,
    grads: list[float] | None = None,
    tangents: list[float | None] | None = None,
    id_prefix: str | None = None,
) -> DrawnGraph:
    """Decide what to draw for ``roots`` and write the ``Drawing``.

    ``grads`` and ``tangents`` (one per node in topological order) replace the
    values stored in the nodes: the stepper draws the values of its own sweep.
    ``id_prefix`` gives every SVG element an id starting with it: ``{p}n3`` for
    node 3, ``{p}e3_1`` for the edge into node 3 from its argument 1, ``{p}g0``
    for a collapsed group, ``{p}g0_n7`` for an edge from a group, ``{p}b0`` for
    a bundle of edges between two layers, ``{p}c0`` for a cluster and
    ``{p}body`` for the frameless cluster under a title.
    """
    order = topological_order(*roots)
    for v in order:  # Value(...) checks its label; this catches one assigned since
        check_label(v.label, "viz")
    if grads is None:
        grads = [v.grad for v in order]
    if tangents is None:
        tangents = [v.tangent for v in order]
    groups = assign_groups(order, o.model) if o.model is not None else None
    keys, note = choose_keys(len(order), groups, o.collapse, o.max_nodes)
    show_tangent = o.show_tangent
    if show_tangent is None:
        show_tangent = any(t is not None for t in tangents)
    color_by = o.color
    if color_by == "auto":
        color_by = "grad" if any(grads) else "tangent" if any(tangents) else None
    scene = Scene(
        order=order, roots=roots, keys=keys, unit=dot_names(keys), groups=groups,
        grads=grads, tangents=tangents, show_grad=o.show_grad, show_tangent=show_tangent,
        color_by=color_by, scale=None, rankdir=o.rankdir, legend=o.legend, digits=o.digits,
        note=note, id_prefix=id_prefix, title=o.title,
    )
    if color_by is not None:
        scene.scale = GradientScale.for_values(
            (scene.signal(i) for i in range(len(order))), o.vanishing
        )
    return DrawnGraph(write(scene), scene)


def check_roots(fn: str, root: Any) -> list[Value]:
    """``root`` as a list of Values, or a TypeError naming ``fn`` and what it got."""
    if isinstance(root, Value):
        return [root]
    if isinstance(root, (list, tuple)) and root and all(isinstance(r, Value) for r in root):
        return list(root)
    shown = type(root).__name__
    if isinstance(root, (list, tuple)):
        bad = next((r for r in root if not isinstance(r, Value)), None)
        shown = f"a {shown} holding a {type(bad).__name__}" if root else f"an empty {shown}"
    raise TypeError(f"{fn}: root must be a Value or a non-empty list of Values, got {shown}")


def check_options(fn: str, **kwargs: Any) -> Options:
    """``Options`` from keyword arguments, or a TypeError/ValueError naming ``fn`` and the value."""
    o = Options(**kwargs)
    if o.rankdir not in RANKDIRS:
        raise ValueError(f"{fn}: rankdir must be one of {', '.join(RANKDIRS)}; got {o.rankdir!r}")
    if o.collapse not in (None, *COLLAPSE_LEVELS):
        raise ValueError(f"{fn}: collapse must be None, 'neuron' or 'layer'; got {o.collapse!r}")
    if o.model is not None:
        parameter_names(o.model, fn)  # a TypeError now rather than when drawing
    if o.collapse is not None and o.model is None:
        raise ValueError(
            f"{fn}: collapse={o.collapse!r} needs model= (anything with named_parameters()) "
            "to know which module made each node"
        )
    if o.max_nodes is not None and (
        isinstance(o.max_nodes, bool) or not isinstance(o.max_nodes, int) or o.max_nodes < 2
    ):
        raise ValueError(f"{fn}: max_nodes must be None or an integer >= 2; got {o.max_nodes!r}")
    if o.color not in COLOR_BY:
        raise ValueError(f"{fn}: color must be 'auto', 'grad', 'tangent' or None; got {o.color!r}")
    if o.vanishing is not None and (
        isinstance(o.vanishing, bool) or not isinstance(o.vanishing, (int, float))
        or not o.vanishing > 0
    ):
        raise ValueError(f"{fn}: vanishing must be None or a positive number; got {o.vanishing!r}")
    if isinstance(o.digits, bool) or not isinstance(o.digits, int) or not 1 <= o.digits <= 17:
        raise ValueError(f"{fn}: digits must be an integer from 1 to 17; got {o.digits!r}")
    for flag in ("show_grad", "legend"):
        if not isinstance(getattr(o, flag), bool):
            raise TypeError(f"{fn}: {flag} must be True or False; got {getattr(o, flag)!r}")
    if o.title is not None and not isinstance(o.title, str):
        raise TypeError(f"{fn}: title must be None or a str; got {type(o.title).__name__}")
    if o.show_tangent not in (None, True, False):
        raise TypeError(f"{fn}: show_tangent must be None, True or False; got {o.show_tangent!r}")
    return o
