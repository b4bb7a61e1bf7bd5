"""The stepper's HTML: one self-contained page (or notebook fragment) with plain JavaScript.

The graph is laid out once by Graphviz (SVG, inline) and drawn with the
sweep's final values; the steps travel as JSON in the page. Script makes
previous/next buttons, a slider and the arrow keys replay the steps onto
the SVG (the value shown in each node, its colour) and onto a table of
every node, highlighting the node the step propagates from (orange) and
the one it changes (purple). Nothing is fetched from the network.

Every element id starts with a prefix unique to the rendering, so any
number of steppers can share a page or a notebook. Without JavaScript (an
untrusted notebook, a mail client) the page shows every step stacked, the
final graph and the table. Without Graphviz it shows the table and says how
to get the picture.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Value

from .colors import PLAIN, GradientScale, Style
from .dot import INSTALL_HINT, GraphvizNotFoundError
from .drawing import Scene, _Writer, fmt

if TYPE_CHECKING:
    from .graph import DrawnGraph
    from .stepper import Stepper, SweepStep

CSS = """
#{p}root {{ font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #222; border: 1px solid #ccc; border-radius: 6px; padding: 10px; margin: 6px 0; }}
#{p}root:focus {{ outline: 2px solid #8ab4f8; }}
#{p}root .bps-controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
#{p}root .bps-controls[hidden], #{p}root .bps-now[hidden], #{p}root [hidden] {{ display: none; }}
#{p}root input[type=range] {{ flex: 1 1 200px; }}
#{p}root button {{ font-size: 15px; }}
#{p}root .bps-now {{ margin: 8px 0; padding: 6px 8px; background: #f6f6f6; border-radius: 4px;
  font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }}
#{p}root .bps-detail {{ color: #555; }}
#{p}root .bps-lines {{ max-height: 9em; overflow: auto; margin: 4px 0 0 0; color: #444;
  font-size: 13px; }}
#{p}root .bps-quiz {{ margin-top: 6px; }}
#{p}root .bps-quiz input {{ font: inherit; width: 12em; }}
#{p}root .bps-right {{ color: #1a7f37; font-weight: bold; }}
#{p}root .bps-wrong {{ color: #b42318; font-weight: bold; }}
#{p}root .bps-graph {{ overflow: auto; max-height: 70vh; position: relative; }}
#{p}root .bps-graph svg {{ max-width: none; height: auto; }}
#{p}root .bps-source path, #{p}root .bps-source polygon {{ stroke: #e66100; stroke-width: 4px; }}
#{p}root .bps-target path, #{p}root .bps-target polygon {{ stroke: #5e3c99; stroke-width: 5px; }}
#{p}root .bps-edge path {{ stroke: #e66100; stroke-width: 3px; }}
#{p}root .bps-edge polygon {{ stroke: #e66100; fill: #e66100; }}
#{p}root .bps-key-source {{ color: #e66100; font-weight: bold; }}
#{p}root .bps-key-target {{ color: #5e3c99; font-weight: bold; }}
#{p}root .bps-table-wrap {{ max-height: 16em; overflow: auto; margin-top: 6px; }}
#{p}root table {{ border-collapse: collapse; font-size: 14px; }}
#{p}root td, #{p}root th {{ padding: 1px 8px; text-align: left; border-bottom: 1px solid #eee; }}
#{p}root tr.bps-source td {{ background: #fde0c5; }}
#{p}root tr.bps-target td {{ background: #e3dcf0; }}
#{p}root.bps-js .bps-steps, #{p}root.bps-js .bps-nojs {{ display: none; }}
#{p}root .bps-steps {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }}
"""

# Plain JavaScript, no library. Every page of viz starts the same way: wait until its elements
# exist (a notebook may insert the HTML before the script runs), run once per prefix however often
# the HTML is inserted, read the JSON data; then the page's own part runs with P, root, data, $.
BOOT_HEAD = r"""
(function (P) {
  function start(tries) {
    var root = document.getElementById(P + "root");
    var dataEl = document.getElementById(P + "data");
    if (!root || !dataEl) {
      if (tries < 100) { setTimeout(function () { start(tries + 1); }, 50); }
      return;
    }
    if (root.getAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "1");
    var data = JSON.parse(dataEl.textContent);
    var $ = function (id) { return document.getElementById(P + id); };
"""
BOOT_TAIL = r"""
  }
  start(0);
})(__PREFIX__);
"""


def script(body: str, prefix: str) -> str:
    """A ``<script>`` element running ``body`` for the page whose ids start with ``prefix``."""
    code = BOOT_HEAD + body + BOOT_TAIL
    return f"<script>{code.replace('__PREFIX__', json.dumps(prefix))}</script>"


class Page:
    """Something that is one self-contained HTML page: written to a file, or shown in Jupyter.

    A subclass gives ``html(full_page)``; the page needs no network access and,
    once displayed, no kernel.
    """

    def html(self, full_page: bool = False) -> str:
        raise NotImplementedError

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write one self-contained HTML page (no network access needed) and return its path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"{type(self).__name__}.to_html: path must be a str or a path, got "
                            f"{type(path).__name__}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(full_page=True), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """Jupyter: the same page inline; it needs no kernel once displayed."""
        return self.html()


# The stepper's own part: replays steps 0..k onto the picture and the table.
SCRIPT = r"""
    var N = data.units.length, S = data.steps.length, pos = 0;
    var nodes = [], shapes = [], valueTexts = [], allTexts = [], cells = [];
    for (var i = 0; i < N; i++) {
      var g = $(data.units[i]);
      var own = data.units[i] === "n" + i;
      var shape = null, valueText = null, texts = [];
      if (g && own) {
        shape = g.querySelector("path, polygon");
        var ts = g.getElementsByTagName("text");
        for (var j = 0; j < ts.length; j++) {
          texts.push(ts[j]);
          if (ts[j].textContent.indexOf(data.kind + " ") === 0) { valueText = ts[j]; }
        }
      }
      nodes.push(g); shapes.push(shape); valueTexts.push(valueText); allTexts.push(texts);
      var row = $("r" + i);
      cells.push(row ? row.cells[row.cells.length - 1] : null);
    }
    var groups = {};
    for (var name in data.gstart) {
      var ge = $(name);
      if (ge) {
        groups[name] = {shape: ge.querySelector("path, polygon"),
                        texts: ge.getElementsByTagName("text")};
      }
    }
    var prev = $("prev"), next = $("next"), slider = $("slider"), count = $("count");
    var text = $("text"), detail = $("detail"), lines = $("lines"), graph = $("graph");
    var quiz = $("quiz"), answer = $("answer"), check = $("check"), verdict = $("verdict");
    var score = $("score"), answered = {}, right = 0, total = 0;
    var marked = [];
    function mark(el, cls) {
      if (el) { el.classList.add(cls); marked.push([el, cls]); }
    }
    function reveal(box, el) {
      if (!box || !el) { return; }
      var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
      if (r.left < b.left || r.right > b.right) {
        box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
      }
      if (r.top < b.top || r.bottom > b.bottom) {
        box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
      }
    }
    function limit() {
      if (!data.quiz) { return S; }
      for (var m = 1; m <= S; m++) { if (!(m in answered)) { return m; } }
      return S;
    }
    function paint(k) {
      var vals = [], looks = [], gs = {}, s, st, u, name;
      for (s = 0; s < N; s++) { vals.push(data.start[s][0]); looks.push(data.start[s][1]); }
      for (name in data.gstart) { gs[name] = data.gstart[name]; }
      for (s = 0; s < k; s++) {
        st = data.steps[s];
        for (u = 0; u < st.u.length; u++) { vals[st.u[u][0]] = st.u[u][1]; looks[st.u[u][0]] = st.u[u][2]; }
        for (u = 0; u < st.g.length; u++) { gs[st.g[u][0]] = [st.g[u][1], st.g[u][2]]; }
      }
      for (s = 0; s < N; s++) {
        if (valueTexts[s]) { valueTexts[s].textContent = data.kind + " " + vals[s]; }
        if (shapes[s]) {
          shapes[s].setAttribute("fill", looks[s][0]);
          shapes[s].setAttribute("stroke-dasharray", looks[s][2] ? "5,2" : "none");
        }
        for (var t = 0; t < allTexts[s].length; t++) {
          allTexts[s][t].setAttribute("fill", looks[s][1]);
        }
        if (cells[s]) { cells[s].textContent = vals[s]; }
      }
      for (name in groups) {
        var rows = gs[name][0], look = gs[name][1], el = groups[name];
        if (el.texts.length === rows.length) {
          for (var r = 0; r < rows.length; r++) {
            el.texts[r].textContent = rows[r];
            el.texts[r].setAttribute("fill", look[1]);
          }
        }
        if (el.shape) {
          el.shape.setAttribute("fill", look[0]);
          el.shape.setAttribute("stroke-dasharray", look[2] ? "5,2" : "none");
        }
      }
      return vals;
    }
    function show(k) {
      k = Math.max(0, Math.min(limit(), S, k | 0));
      var asking = data.quiz && k > 0 && !(k in answered);
      var vals = paint(asking ? k - 1 : k), st, s;
      while (marked.length) { var m = marked.pop(); m[0].classList.remove(m[1]); }
      lines.textContent = "";
      verdict.textContent = "";
      verdict.className = "";
      if (k > 0) {
        st = data.steps[k - 1];
        for (s = 0; s < st.s.length; s++) {
          mark(nodes[st.s[s]], "bps-source");
          mark($("r" + st.s[s]), "bps-source");
        }
        mark(nodes[st.t], "bps-target");
        mark($("r" + st.t), "bps-target");
        for (s = 0; s < st.e.length; s++) { mark($(st.e[s]), "bps-edge"); }
        if (asking) {
          text.textContent = st.qx;
          detail.textContent = "Type your answer (within 0.1%) and press Enter or check.";
          if (valueTexts[st.t]) { valueTexts[st.t].textContent = data.kind + " ?"; }
          if (cells[st.t]) { cells[st.t].textContent = "?"; }
        } else {
          text.textContent = st.x;
          detail.textContent = st.d;
          for (s = 0; s < st.l.length; s++) {
            var li = document.createElement("li");
            li.textContent = st.l[s];
            lines.appendChild(li);
          }
          if (k in answered) {
            verdict.textContent = answered[k] ? "right!" : "not quite: the answer is " + st.q;
            verdict.className = answered[k] ? "bps-right" : "bps-wrong";
          }
        }
        reveal(graph, nodes[st.t]);
        reveal($("tablewrap"), $("r" + st.t));
      } else {
        text.textContent = data.intro;
        detail.textContent = "";
      }
      if (quiz) {
        quiz.hidden = !asking;
        if (asking) { answer.value = ""; }
      }
      slider.value = String(k);
      count.textContent = "step " + k + " of " + S;
      prev.disabled = k === 0;
      next.disabled = k === S || asking;  // a quiz moves on once the question is answered
      pos = k;
    }
    function grade() {
      var st = data.steps[pos - 1];
      if (!st || pos in answered) { return; }
      var a = parseFloat(answer.value);
      if (isNaN(a)) { verdict.textContent = "type a number"; verdict.className = "bps-wrong"; return; }
      var ok = Math.abs(a - st.q) <= 1e-3 * Math.abs(st.q) || a === st.q;
      answered[pos] = ok; total += 1; if (ok) { right += 1; }
      score.textContent = "score: " + right + " of " + total;
      show(pos);
    }
    function jump(key, dir) {
      var cur = pos > 0 ? data.steps[pos - 1][key] : null, m;
      if (dir > 0) {
        for (m = pos + 1; m <= S; m++) {
          if (data.steps[m - 1][key] !== cur) { show(m); return; }
        }
        show(S);
        return;
      }
      m = pos;
      while (m > 1 && data.steps[m - 2][key] === cur) { m--; }
      if (m < pos) { show(m); return; }
      if (m <= 1) { show(0); return; }
      var before = data.steps[m - 2][key];
      m = m - 1;
      while (m > 1 && data.steps[m - 2][key] === before) { m--; }
      show(m);
    }
    prev.addEventListener("click", function () { show(pos - 1); });
    next.addEventListener("click", function () { show(pos + 1); });
    slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
    var jumps = [["jl", "layer"], ["jn", "neuron"]];
    jumps.forEach(function (pair) {
      var back = $("back" + pair[1]), fwd = $("fwd" + pair[1]);
      if (back && fwd) {
        back.addEventListener("click", function () { jump(pair[0], -1); });
        fwd.addEventListener("click", function () { jump(pair[0], 1); });
      }
    });
    if (check) {
      check.addEventListener("click", grade);
      answer.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { grade(); e.preventDefault(); }
        e.stopPropagation();
      });
    }
    root.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft" && !e.shiftKey) { show(pos - 1); e.preventDefault(); }
      if (e.key === "ArrowRight" && !e.shiftKey) { show(pos + 1); e.preventDefault(); }
      if (e.key === "PageDown") { jump("jl", 1); e.preventDefault(); }
      if (e.key === "PageUp") { jump("jl", -1); e.preventDefault(); }
      if (e.key === "ArrowRight" && e.shiftKey) { jump("jn", 1); e.preventDefault(); }
      if (e.key === "ArrowLeft" && e.shiftKey) { jump("jn", -1); e.preventDefault(); }
    });
    $("controls").hidden = false;
    $("now").hidden = false;
    root.classList.add("bps-js");
    show(0);
"""


def stepper_html(stepper: Stepper, full_page: bool = False) -> str:
    """The stepper as an HTML fragment (for Jupyter), or a whole page with ``full_page``."""
    prefix = stepper.id_prefix or f"bps{secrets.token_hex(4)}_"
    token, svg, plan = _layout(stepper)
    scene = plan.scene
    kind = stepper.quantity
    title = "Backward pass" if stepper.mode == "reverse" else "Forward mode"
    index = {v: i for i, v in enumerate(stepper.nodes)}
    views = _GroupViews(stepper, scene)
    data = {
        "kind": kind,
        "quiz": stepper.quiz,
        "units": scene.unit,
        "start": [_look(stepper, scene.scale, x, initial=True) for x in stepper.start],
        "gstart": views.start(),
        "steps": _steps_json(stepper, scene, index, views),
        "intro": _intro(stepper),
    }
    parts = [
        (f'<div id="{prefix}root" class="bps" tabindex="0" data-mode="{stepper.mode}" '
         f'data-by="{stepper.by}">'),
        f"<style>{CSS.format(p=prefix)}</style>",
        _header(stepper, title),
        _controls(stepper, prefix),
        f'<div class="bps-graph" id="{prefix}graph">{_graph(svg, token, prefix)}</div>',
        _table(stepper, prefix),
        _step_list(stepper),
        f'<script type="application/json" id="{prefix}data">{_json(data)}</script>',
        script(SCRIPT, prefix),
        "</div>",
    ]
    fragment = "\n".join(parts)
    if not full_page:
        return fragment
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}, step by step</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def _header(stepper: Stepper, title: str) -> str:
    source = "propagating from" if stepper.mode == "reverse" else "inputs"
    return (
        f"<div><b>{title}, step by step</b> · {len(stepper.nodes)} nodes, "
        f'{len(stepper.steps)} steps · <span class="bps-key-source">orange</span>: {source}, '
        f'<span class="bps-key-target">purple</span>: {stepper.quantity} being set</div>'
    )


def _controls(stepper: Stepper, p: str) -> str:
    """Buttons, slider, jumps and step text (hidden until the script runs), the no-script note."""
    n = len(stepper.steps)
    jumps = []
    for key, level in (("jl", "layer"), ("jn", "neuron")):
        if _jump_level(stepper, key):
            jumps.append(f'<button type="button" id="{p}back{level}" title="previous {level}">'
                         f"&#9664;&#9664; {level}</button>")
            jumps.append(f'<button type="button" id="{p}fwd{level}" title="next {level}">'
                         f"{level} &#9654;&#9654;</button>")
    quiz = ""
    if stepper.quiz:
        quiz = (f'<div class="bps-quiz" id="{p}quiz" hidden><label>{stepper.quantity} = '
                f'<input type="text" id="{p}answer" inputmode="decimal" autocomplete="off" '
                f'aria-label="your answer"></label> <button type="button" id="{p}check">check'
                f'</button></div>')
    return "\n".join([
        f'<div class="bps-controls" id="{p}controls" hidden>',
        f'<button type="button" id="{p}prev">&#9664; previous</button>',
        f'<input type="range" id="{p}slider" min="0" max="{n}" value="0" step="1"',
        'aria-label="step">',
        f'<button type="button" id="{p}next">next &#9654;</button>',
        *jumps,
        f'<span id="{p}count"></span>',
        f'<span id="{p}score">{"score: 0 of 0" if stepper.quiz else ""}</span></div>',
        f'<div class="bps-now" id="{p}now" hidden><div id="{p}text"></div>',
        f'<div class="bps-detail" id="{p}detail"></div>{quiz}',
        f'<div id="{p}verdict"></div><ol class="bps-lines" id="{p}lines"></ol></div>',
        (f'<p class="bps-nojs">All {n} steps are listed below the graph, which shows the final '
         "values (with JavaScript on, step through them one by one).</p>"),
    ])


def _jump_level(stepper: Stepper, key: str) -> bool:
    """Whether jumping by layer (``jl``) or neuron (``jn``) means something for these steps."""
    per_node = stepper.layers if key == "jl" else stepper.neurons
    if key == "jn" and stepper.by == "layer":
        return False
    if key == "jl" and stepper.by == "layer":
        return False
    return len({per_node[s.node] for s in stepper.steps}) > 1


def _layout(stepper: Stepper) -> tuple[str, str | None, DrawnGraph]:
    """Lay the graph out once per stepper, with a placeholder id prefix replaced per rendering."""
    if stepper.layout is None:
        token = stepper.token
        plan = stepper.drawing_plan(token)
        try:
            svg = plan.drawing.pipe(format="svg", encoding="utf-8")
        except GraphvizNotFoundError:
            svg = None
        stepper.layout = (token, svg, plan)
    return stepper.layout


def _graph(svg: str | None, token: str, prefix: str) -> str:
    if svg is None:
        return (f"<p><i>Graphviz's <code>dot</code> is not installed, so the graph is not drawn; "
                f"the table lists every node. {html.escape(INSTALL_HINT)}</i></p>")
    svg = svg[svg.index("<svg"):]
    # Graphviz names the link around a node with a tooltip a_<id>: keep the prefix first
    return svg.replace(f'id="a_{token}', f'id="{token}a_').replace(token, prefix)


def _look(stepper: Stepper, scale: GradientScale | None, value: float | None,
          initial: bool = False) -> list:
    """``[shown value, [fill, text colour, dashed]]`` for a node holding ``value``."""
    digits = stepper.options.digits
    if value is None or scale is None or (initial and stepper.mode == "reverse"):
        style = Style(fill=PLAIN)  # not reached yet
    else:
        style = scale.style(value)
    return [fmt(value, digits), [style.fill, style.font, 1 if style.dashed else 0]]


class _GroupViews:
    """What each collapsed box shows for a given state of the sweep: its rows and its look.

    The rows come from the drawing's own writer (``viz.drawing``), fed the
    stepper's values instead of the final ones, so a box reads exactly as
    the drawing would at that step.
    """

    def __init__(self, stepper: Stepper, scene: Scene) -> None:
        self.stepper, self.scene = stepper, scene
        self.keys: dict[str, Any] = {}
        for i, key in enumerate(scene.keys):
            if isinstance(key, str):  # a collapsed module (the folded rest shows no values)
                self.keys.setdefault(scene.unit[i], key)
        self.members, self.outputs = _Writer(scene)._members_and_outputs()

    def _writer(self, values: list[float | None]) -> _Writer:
        if self.stepper.mode == "reverse":
            scene = replace(self.scene, grads=[0.0 if v is None else v for v in values])
        else:
            scene = replace(self.scene, tangents=list(values))
        return _Writer(scene)

    def rows(self, values: list[float | None], names: list[str], initial: bool = False) -> list:
        """``[[name, rows, look], ...]`` for the boxes ``names`` with the nodes at ``values``."""
        writer = self._writer(values)
        out = []
        for name in names:
            members = self.members[name]
            rows, style = writer._group_rows(self.keys[name], members,
                                             self.outputs.get(name) or [members[-1]])
            if initial:
                style = Style(fill=PLAIN)
            plain = [html.unescape(re.sub(r"<[^>]+>", "", r)) for r in rows]
            out.append([name, plain, [style.fill, style.font, 1 if style.dashed else 0]])
        return out

    def start(self) -> dict:
        values = self.stepper.start
        initial = self.stepper.mode == "reverse"
        return {name: [rows, look] for name, rows, look in self.rows(values, list(self.keys),
                                                                     initial)}


def _steps_json(stepper: Stepper, scene: Scene, index: dict[Value, int],
                views: _GroupViews) -> list[dict]:
    """Every step for the script: what it sets (nodes and boxes), highlights, text, quiz."""
    unit = scene.unit
    values = list(stepper.start)
    out = []
    for step in stepper.steps:
        touched: dict[str, None] = {}
        updates = []
        for target, after in step.sets:
            values[target] = after
            shown, look = _look(stepper, scene.scale, after)
            updates.append([target, shown, look])
            if unit[target] in views.keys:
                touched[unit[target]] = None
        boxes = views.rows(values, list(touched)) if touched else []
        entry = _step_json(stepper, unit, index, step)
        entry.update({"u": updates, "g": boxes, "l": list(step.lines), "q": step.after,
                      "qx": _question(stepper, step),
                      "jl": stepper.layers[step.node], "jn": stepper.neurons[step.node]})
        out.append(entry)
    return out


def _question(stepper: Stepper, step: SweepStep) -> str:
    name = stepper.names[step.target]
    q = stepper.quantity
    if step.seed:
        return f"The sweep starts at the output: what is {name}.{q}?"
    if step.parts:
        return f"{step.text.split(':')[0]}: what is {name}.{q} once this module is done?"
    return f"{step.text.split(' = ')[0]}: what is {name}.{q} now?"


def _step_json(
    stepper: Stepper, unit: list[str], index: dict[Value, int], step: SweepStep
) -> dict:
    """One step's highlights and text: sources, target, edges, the sentence and the detail."""
    if stepper.mode == "reverse":
        if step.parts:
            sources = list(dict.fromkeys(s.node for s in step.parts))
            edges = list(dict.fromkeys(_edge(unit, s.target, s.node, s.arg) for s in step.parts))
            detail = (f"{len(step.parts)} chain-rule steps; {stepper.names[step.target]}.grad "
                      f"is now {fmt(step.after, 6)}")
        else:
            sources = [] if step.seed else [step.node]
            edges = [] if step.seed else [_edge(unit, step.target, step.node, step.arg)]
            detail = (f"{stepper.names[step.target]}.grad: {fmt(step.before, 6)} → "
                      f"{fmt(step.after, 6)}")
    else:
        parents = [index[p] for p in stepper.nodes[step.node]._prev]
        sources = list(dict.fromkeys(parents))
        edges = [_edge(unit, k, step.node, a) for a, k in enumerate(parents)]
        detail = f"{stepper.names[step.target]}.tangent = {fmt(step.after, 6)}"
    return {"s": sources, "t": step.target, "e": [e for e in edges if e], "x": step.text,
            "d": detail}


def _edge(unit: list[str], tail: int, head: int, arg: int | None) -> str | None:
    """The id (without prefix) of the drawn edge from ``tail`` into argument ``arg`` of ``head``."""
    if unit[tail] == unit[head]:
        return None
    if unit[head] == f"n{head}" and unit[tail] == f"n{tail}":
        return f"e{head}_{arg}"
    return f"{unit[tail]}_{unit[head]}"


def _intro(stepper: Stepper) -> str:
    if stepper.mode == "reverse":
        unit = {"op": "each node passes its grad to its inputs",
                "neuron": "each neuron passes the gradient back through itself",
                "layer": "each layer passes the gradient back through itself"}[stepper.by]
        quiz = " Guess each new grad before it is shown." if stepper.quiz else ""
        return ("Before the sweep every grad is 0. Press next (or the right arrow key): the first "
                f"step seeds the output's grad, then {unit}.{quiz}")
    return ("Inputs that are not seeded have tangent 0. Press next (or the right arrow key): "
            "seeds first, then each node's tangent from its inputs'.")


def _table(stepper: Stepper, prefix: str) -> str:
    kind, digits = stepper.quantity, stepper.options.digits
    final = stepper.final
    rows = []
    for i, v in enumerate(stepper.nodes):
        rows.append(f'<tr id="{prefix}r{i}"><td>n{i}</td>'
                    f"<td>{html.escape(stepper.names[i])}</td>"
                    f"<td>{html.escape(v._op)}</td><td>{fmt(v.data, digits)}</td>"
                    f"<td>{fmt(final[i], digits)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("node", "name", "op", "data", kind))
    return (f'<div class="bps-table-wrap" id="{prefix}tablewrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _step_list(stepper: Stepper) -> str:
    items = "".join(f"<li>{html.escape(s.text)}</li>" for s in stepper.steps)
    return f'<ol class="bps-steps">{items}</ol>'


def _json(data: dict) -> str:
    """JSON safe inside a <script> element: no '</' can end it early."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
