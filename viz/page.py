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
import secrets
from typing import TYPE_CHECKING

from autograd import Value

from .colors import PLAIN, GradientScale, Style
from .dot import INSTALL_HINT, GraphvizNotFoundError
from .drawing import Scene, fmt

if TYPE_CHECKING:
    from .graph import Plan
    from .stepper import Step, Stepper

CSS = """
#{p}root {{ font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #222; border: 1px solid #ccc; border-radius: 6px; padding: 10px; margin: 6px 0; }}
#{p}root:focus {{ outline: 2px solid #8ab4f8; }}
#{p}root .bps-controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
#{p}root .bps-controls[hidden], #{p}root .bps-now[hidden] {{ display: none; }}
#{p}root input[type=range] {{ flex: 1 1 200px; }}
#{p}root .bps-now {{ margin: 8px 0; padding: 6px 8px; background: #f6f6f6; border-radius: 4px;
  font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }}
#{p}root .bps-detail {{ color: #555; }}
#{p}root .bps-graph {{ overflow: auto; max-height: 70vh; }}
#{p}root .bps-graph svg {{ max-width: 100%; height: auto; }}
#{p}root .bps-source path, #{p}root .bps-source polygon {{ stroke: #e66100; stroke-width: 4px; }}
#{p}root .bps-target path, #{p}root .bps-target polygon {{ stroke: #5e3c99; stroke-width: 4px; }}
#{p}root .bps-edge path {{ stroke: #e66100; stroke-width: 3px; }}
#{p}root .bps-edge polygon {{ stroke: #e66100; fill: #e66100; }}
#{p}root .bps-key-source {{ color: #e66100; font-weight: bold; }}
#{p}root .bps-key-target {{ color: #5e3c99; font-weight: bold; }}
#{p}root .bps-table-wrap {{ max-height: 16em; overflow: auto; margin-top: 6px; }}
#{p}root table {{ border-collapse: collapse; font-size: 13px; }}
#{p}root td, #{p}root th {{ padding: 1px 8px; text-align: left; border-bottom: 1px solid #eee; }}
#{p}root tr.bps-source td {{ background: #fde0c5; }}
#{p}root tr.bps-target td {{ background: #e3dcf0; }}
#{p}root.bps-js .bps-steps, #{p}root.bps-js .bps-nojs {{ display: none; }}
#{p}root .bps-steps {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }}
"""

# Plain JavaScript, no library: finds its elements by the prefixed ids, replays steps 0..k.
SCRIPT = r"""
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
    var prev = $("prev"), next = $("next"), slider = $("slider"), count = $("count");
    var text = $("text"), detail = $("detail");
    var marked = [];
    function mark(el, cls) {
      if (el) { el.classList.add(cls); marked.push([el, cls]); }
    }
    function show(k) {
      k = Math.max(0, Math.min(S, k | 0));
      var vals = [], looks = [], s, st;
      for (s = 0; s < N; s++) { vals.push(data.start[s][0]); looks.push(data.start[s][1]); }
      for (s = 0; s < k; s++) { st = data.steps[s]; vals[st.t] = st.v; looks[st.t] = st.c; }
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
      while (marked.length) { var m = marked.pop(); m[0].classList.remove(m[1]); }
      if (k > 0) {
        st = data.steps[k - 1];
        for (s = 0; s < st.s.length; s++) {
          mark(nodes[st.s[s]], "bps-source");
          mark($("r" + st.s[s]), "bps-source");
        }
        mark(nodes[st.t], "bps-target");
        mark($("r" + st.t), "bps-target");
        for (s = 0; s < st.e.length; s++) { mark($(st.e[s]), "bps-edge"); }
        text.textContent = st.x;
        detail.textContent = st.d;
      } else {
        text.textContent = data.intro;
        detail.textContent = "";
      }
      slider.value = String(k);
      count.textContent = "step " + k + " of " + S;
      prev.disabled = k === 0;
      next.disabled = k === S;
      pos = k;
    }
    prev.addEventListener("click", function () { show(pos - 1); });
    next.addEventListener("click", function () { show(pos + 1); });
    slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
    root.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") { show(pos - 1); e.preventDefault(); }
      if (e.key === "ArrowRight") { show(pos + 1); e.preventDefault(); }
    });
    $("controls").hidden = false;
    $("now").hidden = false;
    root.classList.add("bps-js");
    show(0);
  }
  start(0);
})(__PREFIX__);
"""


def stepper_html(stepper: Stepper, full_page: bool = False) -> str:
    """The stepper as an HTML fragment (for Jupyter), or a whole page with ``full_page``."""
    prefix = stepper.id_prefix or f"bps{secrets.token_hex(4)}_"
    token, svg, plan = _layout(stepper)
    scene = plan.scene
    kind = stepper.quantity
    title = "Backward pass" if stepper.mode == "reverse" else "Forward mode"
    index = {v: i for i, v in enumerate(stepper.nodes)}
    data = {
        "kind": kind,
        "units": scene.unit,
        "start": [_look(stepper, scene.scale, x, initial=True) for x in stepper.start],
        "steps": [_step_json(stepper, scene, index, step) for step in stepper.steps],
        "intro": _intro(stepper),
    }
    parts = [
        f'<div id="{prefix}root" class="bps" tabindex="0" data-mode="{stepper.mode}">',
        f"<style>{CSS.format(p=prefix)}</style>",
        _header(stepper, title),
        _controls(stepper, prefix),
        f'<div class="bps-graph" id="{prefix}graph">{_graph(svg, token, prefix)}</div>',
        _table(stepper, prefix),
        _step_list(stepper),
        f'<script type="application/json" id="{prefix}data">{_json(data)}</script>',
        f"<script>{SCRIPT.replace('__PREFIX__', json.dumps(prefix))}</script>",
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
    """Buttons, slider and step text (hidden until the script runs), and the no-script note."""
    n = len(stepper.steps)
    return "\n".join([
        f'<div class="bps-controls" id="{p}controls" hidden>',
        f'<button type="button" id="{p}prev">&#9664; previous</button>',
        f'<input type="range" id="{p}slider" min="0" max="{n}" value="0" step="1"',
        'aria-label="step">',
        f'<button type="button" id="{p}next">next &#9654;</button>',
        f'<span id="{p}count"></span></div>',
        f'<div class="bps-now" id="{p}now" hidden><div id="{p}text"></div>',
        f'<div class="bps-detail" id="{p}detail"></div></div>',
        (f'<p class="bps-nojs">All {n} steps are listed below the graph, which shows the final '
         "values (with JavaScript on, step through them one by one).</p>"),
    ])


def _layout(stepper: Stepper) -> tuple[str, str | None, Plan]:
    """Lay the graph out once per stepper, with a placeholder id prefix replaced per rendering."""
    if stepper.layout is None:
        token = f"bpsTOKEN{secrets.token_hex(8)}_"  # no '-': Graphviz writes it as &#45; in ids
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


def _step_json(stepper: Stepper, scene: Scene, index: dict[Value, int], step: Step) -> dict:
    """One step for the script: sources, target, edges, the value set, its look, the text."""
    unit = scene.unit
    if stepper.mode == "reverse":
        sources = [] if step.seed else [step.node]
        edges = [] if step.seed else [_edge(unit, step.target, step.node, step.arg)]
        detail = (f"{stepper.names[step.target]}.grad: {fmt(step.before, 6)} → "
                  f"{fmt(step.after, 6)}")
    else:
        parents = [index[p] for p in stepper.nodes[step.node]._prev]
        sources = list(dict.fromkeys(parents))
        edges = [_edge(unit, k, step.node, a) for a, k in enumerate(parents)]
        detail = f"{stepper.names[step.target]}.tangent = {fmt(step.after, 6)}"
    value, look = _look(stepper, scene.scale, step.after)
    return {"s": sources, "t": step.target, "e": [e for e in edges if e], "v": value,
            "c": look, "x": step.text, "d": detail}


def _edge(unit: list[str], tail: int, head: int, arg: int) -> str | None:
    """The id (without prefix) of the drawn edge from ``tail`` into argument ``arg`` of ``head``."""
    if unit[tail] == unit[head]:
        return None
    if unit[head] == f"n{head}" and unit[tail] == f"n{tail}":
        return f"e{head}_{arg}"
    return f"{unit[tail]}_{unit[head]}"


def _intro(stepper: Stepper) -> str:
    if stepper.mode == "reverse":
        return ("Before the sweep every grad is 0. Press next (or the right arrow key): the first "
                "step seeds the output's grad, then each node passes its grad to its inputs.")
    return ("Inputs that are not seeded have tangent 0. Press next (or the right arrow key): "
            "seeds first, then each node's tangent from its inputs'.")


def _table(stepper: Stepper, prefix: str) -> str:
    kind, digits = stepper.quantity, stepper.options.digits
    final = stepper.final
    rows = []
    for i, v in enumerate(stepper.nodes):
        rows.append(f'<tr id="{prefix}r{i}"><td>n{i}</td><td>{html.escape(v.label)}</td>'
                    f"<td>{html.escape(v._op)}</td><td>{fmt(v.data, digits)}</td>"
                    f"<td>{fmt(final[i], digits)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("node", "label", "op", "data", kind))
    return (f'<div class="bps-table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _step_list(stepper: Stepper) -> str:
    items = "".join(f"<li>{html.escape(s.text)}</li>" for s in stepper.steps)
    return f'<ol class="bps-steps">{items}</ol>'


def _json(data: dict) -> str:
    """JSON safe inside a <script> element: no '</' can end it early."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
