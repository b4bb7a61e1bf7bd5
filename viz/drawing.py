"""Writing the DOT of a planned drawing: node labels, module clusters, edges, legend and note.

``write(scene)`` turns a ``Scene`` (the graph, what draws each node, the
values to show and the colour scale) into a ``Drawing``. Labels are
Graphviz's HTML-like tables, with every user string escaped; text is at
least ``FONT_SIZE`` points. Everything is emitted in an order fixed by the
graph (topological index, then module name), so the DOT is the same on
every run.

A network collapsed by neuron reads like the textbook picture: the neurons
of a layer stand in index order (``neurons.2`` above ``neurons.10``, held
there by invisible edges within the layer's rank), and the edges between
two layers of collapsed neurons (16 x 16 of them in micrograd's MLP) are
drawn as one arrow from layer to layer labelled with their count.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import graphviz

from autograd import Value

from .collapse import natural_key
from .colors import PLAIN, GradientScale, Style
from .dot import Drawing
from .groups import Groups, cluster_chain

MAX_OUTPUTS_SHOWN = 3
FONT_SIZE = "14"  # points, for every text in a drawing
TITLE_SIZE = "18"


@dataclass
class Scene:
    """Everything a drawing is written from; ``unit[i]`` is the DOT name that draws node ``i``."""

    order: list[Value]
    roots: list[Value]
    keys: list[Any]
    unit: list[str]
    groups: Groups | None
    grads: list[float]
    tangents: list[float | None]
    show_grad: bool
    show_tangent: bool
    color_by: str | None  # 'grad', 'tangent' or None
    scale: GradientScale | None
    rankdir: str = "LR"
    legend: bool = True
    digits: int = 4
    note: str = ""
    id_prefix: str | None = None  # give every SVG element an id starting with this
    title: str | None = None  # a heading above the graph

    def signal(self, i: int) -> float:
        """The value node ``i`` is coloured by (0.0 when it has none)."""
        value = self.grads[i] if self.color_by == "grad" else self.tangents[i]
        return 0.0 if value is None else float(value)


def fmt(x: float | None, digits: int = 4) -> str:
    """A number as drawn: ``digits`` significant digits, or a dash for no value.

    Negative zero is drawn as ``0``: its sign means nothing to a reader (``-0.0 + 0.0`` is
    ``0.0``).
    """
    return "–" if x is None else f"{x + 0.0:.{digits}g}"


def write(scene: Scene) -> Drawing:
    """The ``Drawing`` of ``scene``; its ``text_view`` lists the drawn nodes as text."""
    return _Writer(scene).build()


def _table(rows: list[str]) -> str:
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


class _Writer:
    """Builds one Drawing: nodes, clusters, edges, then the legend and note as the graph label."""

    def __init__(self, scene: Scene) -> None:
        self.s = scene
        self.index = {v: i for i, v in enumerate(scene.order)}
        self.text: list[str] = []
        self.seen: set[str] = set()  # which special colour classes occur, for the legend
        self.pairs: dict[tuple[str, str], None] | None = None

    def build(self) -> Drawing:
        s = self.s
        g = Drawing(name="graph")
        g.attr("graph", rankdir=s.rankdir, ordering="in", fontname="Helvetica",
               fontsize=FONT_SIZE, nodesep="0.2", ranksep="0.4")
        if s.id_prefix is not None:
            g.attr("graph", id=f"{s.id_prefix}graph")
        g.attr("node", shape="box", style="rounded,filled", fontname="Helvetica",
               fontsize=FONT_SIZE, margin="0.08,0.04", fillcolor=PLAIN)
        g.attr("edge", arrowsize="0.7", color="#555555", fontname="Helvetica",
               fontsize=FONT_SIZE)
        # a graph has one label: with a title on top, the legend labels a frameless cluster
        top = g if s.title is None else graphviz.Digraph(name="cluster_(body)")  # no module name
        members, outputs = self._members_and_outputs()
        clusters: dict[str, graphviz.Digraph] = {}
        for i in self._emission_order():
            key, name = s.keys[i], s.unit[i]
            target = self._container(top, clusters, self._enclosing(key))
            if isinstance(key, int):
                self._node(target, i)
            else:
                self._group_node(target, key, name, members[name], outputs.get(name, []))
        layers = self._layers()
        self._order_layers(top, clusters, layers)
        self._attach(top, clusters)
        legend = self._legend_and_note()  # after the nodes: it lists the colours they use
        if legend:  # set last, so that no cluster inherits the label's placement
            top.attr("graph", label=legend, labelloc="b", labeljust="l")
        if top is not g:
            top.attr("graph", peripheries="0")
            if s.id_prefix is not None:
                top.attr("graph", id=f"{s.id_prefix}body")
            g.subgraph(top)
            g.attr("graph", label=self._title(), labelloc="t", labeljust="c")
        self._edges(g, clusters, layers)
        g.text_view = "\n".join(self.text)
        return g

    def _title(self) -> str:
        lines = "<br/>".join(_esc(line) for line in self.s.title.splitlines() or [""])
        return f'<<font point-size="{TITLE_SIZE}"><b>{lines}</b></font>>'

    # --- placement ---------------------------------------------------------------------------
    def _members_and_outputs(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Per drawn unit, its nodes, and those it hands on (read elsewhere, or a root)."""
        s = self.s
        members: dict[str, list[int]] = {}
        handed_on = [False] * len(s.order)
        for r in s.roots:
            handed_on[self.index[r]] = True
        for i, v in enumerate(s.order):
            members.setdefault(s.unit[i], []).append(i)
            for p in v._prev:
                k = self.index[p]
                if s.unit[k] != s.unit[i]:
                    handed_on[k] = True
        outputs: dict[str, list[int]] = {}
        for k, flag in enumerate(handed_on):
            if flag:
                outputs.setdefault(s.unit[k], []).append(k)
        return members, outputs

    def _emission_order(self) -> list[int]:
        """The first node of each drawn unit, sorted by module name (layers.2 before layers.10)."""
        s = self.s
        first: dict[str, int] = {}
        for i, name in enumerate(s.unit):
            first.setdefault(name, i)
        if s.groups is None:
            return list(first.values())

        def module(i: int) -> tuple:
            key = s.keys[i]
            group = s.groups.names[i] if isinstance(key, int) else ("" if key is ... else key)
            return natural_key(group)

        return sorted(first.values(), key=lambda i: (module(i), i))

    def _enclosing(self, key: Any) -> list[str]:
        """The clusters around what ``key`` draws: its group's modules (not a collapsed group)."""
        groups = self.s.groups
        if groups is None or key is ...:
            return []
        if isinstance(key, int):
            return cluster_chain(groups.names[key], groups.modules)
        return cluster_chain(key, groups.modules)[:-1]

    def _container(self, g: Drawing, clusters: dict, chain: list[str]) -> graphviz.Digraph:
        """The (possibly new) cluster innermost in ``chain``, or the graph itself."""
        if not chain:
            return g
        for name in chain:
            if name not in clusters:
                kind = self.s.groups.modules.get(name, "")
                cluster = graphviz.Digraph(name=f"cluster_{name}")
                cluster.attr("graph", label=f"{name} ({kind})" if kind else name,
                             style="rounded", color="#999999", fontcolor="#444444",
                             labeljust="l")
                if self.s.id_prefix is not None:
                    cluster.attr("graph", id=f"{self.s.id_prefix}c{len(clusters)}")
                clusters[name] = cluster
        return clusters[chain[-1]]

    def _layers(self) -> dict[str, list[str]]:
        """The collapsed groups (DOT names) in each layer of the model, in index order."""
        s = self.s
        if s.groups is None:
            return {}
        keys: dict[str, str] = {}
        for key, name in zip(s.keys, s.unit, strict=True):
            if isinstance(key, str):
                keys.setdefault(name, key)
        layers: dict[str, list[str]] = {}
        for name, key in sorted(keys.items(), key=lambda item: natural_key(item[1])):
            layers.setdefault(s.groups.layer_of(key), []).append(name)
        return layers

    def _order_layers(self, top: graphviz.Digraph, clusters: dict,
                      layers: dict[str, list[str]]) -> None:
        """Hold each layer's groups in one rank, in index order (top to bottom, or left to right
        for ``TB``/``BT``), by invisible edges, unless groups of the layer feed each other."""
        layer_of = {name: layer for layer, names in layers.items() for name in names}
        linked = {layer_of[t] for t, h in self._pairs()
                  if t in layer_of and layer_of[t] == layer_of.get(h)}
        for layer, names in layers.items():
            if len(names) < 2 or layer in linked:
                continue
            # dot orders a rank by its invisible "flat" edges, tail first; rankdir LR/RL turn
            # that order so the first is at the bottom, so there the chain runs backwards
            chain = names[::-1] if self.s.rankdir in ("LR", "RL") else names
            same = graphviz.Digraph()
            same.attr("graph", rank="same")
            for tail, head in pairwise(chain):
                same.edge(tail, head, style="invis")
            clusters.get(layer, top).subgraph(same)

    def _pairs(self) -> dict[tuple[str, str], None]:
        """Every (tail, head) of drawn units joined by an edge, in the order edges are drawn."""
        if self.pairs is None:
            s = self.s
            self.pairs = dict.fromkeys(
                (s.unit[self.index[p]], s.unit[i]) for i, v in enumerate(s.order) for p in v._prev
                if s.unit[self.index[p]] != s.unit[i]
            )
        return self.pairs

    def _attach(self, g: Drawing, clusters: dict[str, graphviz.Digraph]) -> None:
        """Put each cluster inside its parent, innermost first (a subgraph is copied in whole)."""
        if not clusters:
            return
        modules = self.s.groups.modules
        depth = {name: len(cluster_chain(name, modules)) for name in clusters}
        for name in sorted(clusters, key=lambda n: -depth[n]):
            chain = cluster_chain(name, modules)[:-1]
            parent = clusters[chain[-1]] if chain else g
            parent.subgraph(clusters[name])

    # --- nodes -------------------------------------------------------------------------------
    def _name(self, i: int) -> str:
        """A node's label, or the name of the parameter it is (relative to its module)."""
        v, groups = self.s.order[i], self.s.groups
        if v.label:
            return v.label
        if groups is not None and v in groups.params:
            full, group = groups.params[v], groups.names[i]
            return full[len(group) + 1:] if group and full.startswith(group + ".") else full
        return ""

    def _values(self, i: int) -> list[str]:
        s, d = self.s, self.s.digits
        rows = [f"data {fmt(s.order[i].data, d)}"]
        if s.show_grad:
            rows.append(f"grad {fmt(s.grads[i], d)}")
        if s.show_tangent:
            rows.append(f"tangent {fmt(s.tangents[i], d)}")
        return rows

    def _style(self, value: float | None) -> Style:
        if self.s.scale is None:
            return Style()
        value = 0.0 if value is None else value
        style = self.s.scale.style(value)
        if not math.isfinite(value):
            self.seen.add("nonfinite")
        elif value == 0:
            self.seen.add("zero")
        elif style.penwidth == 3.0:
            self.seen.add("vanishing")
        return style

    @staticmethod
    def _attrs(style: Style) -> dict[str, str]:
        attrs = {"fillcolor": style.fill, "fontcolor": style.font, "color": style.outline}
        if style.penwidth != 1.0:
            attrs["penwidth"] = f"{style.penwidth:g}"
        if style.dashed:
            attrs["style"] = "rounded,filled,dashed"
        return attrs

    def _node(self, target: graphviz.Digraph, i: int) -> None:
        s = self.s
        v = s.order[i]
        attrs = self._attrs(self._style(s.signal(i) if s.color_by else None))
        if s.id_prefix is not None:
            attrs["id"] = f"{s.id_prefix}n{i}"
        name = self._name(i)
        tooltip = f"{name or f'n{i}'}: data={v.data + 0.0!r}"  # + 0.0: -0.0 reads as 0.0
        if s.show_grad:
            tooltip += f", grad={s.grads[i] + 0.0!r}"
        if s.tangents[i] is not None:
            tooltip += f", tangent={s.tangents[i] + 0.0!r}"
        head = " ".join(x for x in (f"<b>{_esc(v._op)}</b>" if v._op else "", _esc(name)) if x)
        values = self._values(i)
        target.node(f"n{i}", _table(([head] if head else []) + values), tooltip=tooltip, **attrs)
        parents = ", ".join(s.unit[self.index[p]] for p in v._prev)
        made = f" = {v._op}({parents})" if v._op else ""
        where = f"  [in {s.groups.names[i]}]" if s.groups and s.groups.names[i] else ""
        self.text.append(f"n{i}{made}  " + " | ".join(([name] if name else []) + values) + where)

    def _group_node(self, target, key: Any, name: str, members: list[int], outputs: list[int]):
        s = self.s
        if key is ...:
            rows = [f"<b>… {len(members)} earlier values</b>", "not drawn (max_nodes)"]
            style = Style(fill="#f4f4f4", outline="#999999", dashed=True)
        else:
            rows, style = self._group_rows(key, members, outputs or [members[-1]])
        attrs = self._attrs(style)
        if s.id_prefix is not None:
            attrs["id"] = f"{s.id_prefix}{name}"
        target.node(name, _table(rows), **attrs)
        plain = " | ".join(html.unescape(r.replace("<b>", "").replace("</b>", "")) for r in rows)
        self.text.append(f"{name}  {plain}")

    def _group_rows(self, key: str, members: list[int], outputs: list[int]):
        """A collapsed module: its name and type, its outputs, the gradient at its parameters."""
        s, d = self.s, self.s.digits
        kind = s.groups.modules.get(key, "")
        rows = [f"<b>{_esc(key)}</b>",
                f"{_esc(kind) + ' · ' if kind else ''}{len(members)} values"]
        for k in outputs[:MAX_OUTPUTS_SHOWN]:
            op = s.order[k]._op
            line = f"out {_esc(op) + ' ' if op else ''}{fmt(s.order[k].data, d)}"
            if s.show_grad:
                line += f"  grad {fmt(s.grads[k], d)}"
            if s.show_tangent:
                line += f"  tangent {fmt(s.tangents[k], d)}"
            rows.append(line)
        if len(outputs) > MAX_OUTPUTS_SHOWN:
            more = [s.grads[k] for k in outputs]
            rows.append(f"… {len(outputs) - MAX_OUTPUTS_SHOWN} more outputs, grad "
                        f"{fmt(min(more), d)} to {fmt(max(more), d)}")
        params = [k for k in members if s.order[k] in s.groups.params]
        if params and s.show_grad:
            largest = max(abs(s.grads[k]) for k in params)
            rows.append(f"{len(params)} params, max |grad| {fmt(largest, d)}")
        if s.color_by is None:
            return rows, Style()
        values = [s.signal(k) for k in outputs]
        # a module none of whose parameters gets any gradient (a dead ReLU unit) is grey
        dead = s.color_by == "grad" and params and all(s.grads[k] == 0 for k in params)
        return rows, self._style(0.0 if dead else max(values, key=abs))

    # --- edges -------------------------------------------------------------------------------
    def _edges(self, g: Drawing, clusters: dict, layers: dict[str, list[str]]) -> None:
        """One edge per argument between nodes drawn alone; one per pair when a group is an end;
        one bundle per pair of layers when two or more edges join their collapsed groups."""
        s = self.s
        layer_of = {name: layer for layer, names in layers.items() for name in names}
        count = Counter(
            (layer_of[t], layer_of[h]) for t, h in self._pairs()
            if t in layer_of and h in layer_of and layer_of[t] != layer_of[h]
        )
        bundles: dict[tuple, int] = {}
        seen: set[tuple[str, str]] = set()
        for i, v in enumerate(s.order):
            head = s.unit[i]
            for arg, p in enumerate(v._prev):
                k = self.index[p]
                tail = s.unit[k]
                if tail == head:
                    continue
                single = isinstance(s.keys[i], int) and isinstance(s.keys[k], int)
                if not single:
                    if (tail, head) in seen:
                        continue
                    seen.add((tail, head))
                    ends = (layer_of.get(tail), layer_of.get(head))
                    if count.get(ends, 0) >= 2:
                        if ends not in bundles:
                            bundles[ends] = len(bundles)
                            self._bundle(g, clusters, layers, ends, count[ends], bundles[ends])
                        continue
                attrs = {}
                if s.id_prefix is not None:
                    name = f"e{i}_{arg}" if single else f"{tail}_{head}"
                    attrs["id"] = f"{s.id_prefix}{name}"
                if single:
                    attrs["tooltip"] = self._partial(i, arg)
                g.edge(tail, head, **attrs)

    def _partial(self, i: int, arg: int) -> str:
        """The edge's local derivative as the op's table row writes it: ``∂n4/∂n2 = 1 - n4²``."""
        v = self.s.order[i]
        names = [self._name(self.index[p]) or f"n{self.index[p]}" for p in v._prev]
        out = self._name(i) or f"n{i}"
        prim = getattr(v._op, "prim", None)
        if prim is None:
            return f"∂{out}/∂{names[arg]}"
        text = prim.partial_text(arg, names, out, getattr(v._op, "params", ()))
        return f"∂{out}/∂{names[arg]} = {text}"

    def _bundle(self, g: Drawing, clusters: dict, layers: dict[str, list[str]],
                ends: tuple[str, str], n: int, k: int) -> None:
        """One arrow standing for the ``n`` edges from layer ``ends[0]`` to layer ``ends[1]``:
        between the middle groups of the two, clipped at the layers' frames."""
        tail_layer, head_layer = ends
        tails, heads = layers[tail_layer], layers[head_layer]
        tooltip = f"{n} edges from {tail_layer} to {head_layer}"
        if n == len(tails) * len(heads):
            tooltip += f": each of its {len(tails)} to each of the {len(heads)}"
        attrs = {"label": f"{n} edges", "penwidth": "2", "tooltip": tooltip}
        if tail_layer in clusters:
            attrs["ltail"] = f"cluster_{tail_layer}"
        if head_layer in clusters:
            attrs["lhead"] = f"cluster_{head_layer}"
        if "ltail" in attrs or "lhead" in attrs:
            g.attr("graph", compound="true")
        if self.s.id_prefix is not None:
            attrs["id"] = f"{self.s.id_prefix}b{k}"
        g.edge(tails[len(tails) // 2], heads[len(heads) // 2], **attrs)

    # --- legend ------------------------------------------------------------------------------
    def _legend_and_note(self) -> str:
        s = self.s
        rows: list[str] = []
        if s.note:
            rows.append(f'<tr><td colspan="3" align="left"><i>{_esc(s.note)}</i></td></tr>')
        if s.legend and s.scale is not None:
            legend = s.scale.legend_rows(
                title="tangent" if s.color_by == "tangent" else "gradient",
                has_zero="zero" in self.seen,
                has_nonfinite="nonfinite" in self.seen,
                has_vanishing="vanishing" in self.seen,
                collapsed=any(not isinstance(k, int) for k in s.keys),
            )
            rows += legend
        if not rows:
            return ""
        return f'<<table border="0" cellspacing="2" cellpadding="1">{"".join(rows)}</table>>'
