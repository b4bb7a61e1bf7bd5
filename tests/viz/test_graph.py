"""draw_graph and render: determinism, one node per Value, groups, collapse, colour, no dot."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from graphs import micrograd_example

import nn
import viz
from autograd import Value, forward_tangents, topological_order
from viz.colors import NEGATIVE, POSITIVE, VANISHING, ZERO, GradientScale
from viz.display import register, value_bundle
from viz.dot import GraphvizNotFoundError
from viz.groups import assign_groups

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]


def one_sample_mlp(sizes=(16, 16, 1), seed=0, activation="relu"):
    """MLP(2, sizes) on one sample, backward done; returns (model, each layer's outputs, output)."""
    model = nn.MLP(2, list(sizes), activation=activation, generator=seed)
    x = [0.5, -1.2]
    outputs = []
    for layer in model.layers:
        x = layer(x)
        outputs.append(x if isinstance(x, list) else [x])
    out = outputs[-1][0]
    out.backward()
    return model, outputs, out


def node_statements(source: str) -> dict[str, str]:
    """DOT name -> its statement, for node statements only."""
    found = re.finditer(r"^\s*([ng]\d+|rest) \[label=.*$", source, re.MULTILINE)
    return {m.group(1): m.group(0) for m in found}


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, re.MULTILINE)


def svg_nodes(svg: bytes | str) -> list[str]:
    """The <title> of every node group in an SVG (which is its DOT name)."""
    tree = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    return [g.find(f"{SVG}title").text for g in tree.iter(f"{SVG}g") if g.get("class") == "node"]


# --------------------------------------------------------------------------- structure


def test_one_node_per_value_named_by_topological_position():
    out = micrograd_example(backward=True)
    order = topological_order(out)
    source = viz.draw_graph(out).source
    nodes = node_statements(source)
    assert list(nodes) == [f"n{i}" for i in range(len(order))]
    for i, v in enumerate(order):
        assert f">{v.label}<" in nodes[f"n{i}"] or f"</b> {v.label}<" in nodes[f"n{i}"]
        assert f"data {v.data:.4g}" in nodes[f"n{i}"]
        assert f"grad {v.grad:.4g}" in nodes[f"n{i}"]
    assert "<b>*</b> L" in nodes[f"n{len(order) - 1}"]


def test_edges_follow_argument_order_and_reuse_is_drawn_twice():
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    out = (y - x) * (x * x)
    order = topological_order(out)
    index = {v: i for i, v in enumerate(order)}
    drawn = edges(viz.draw_graph(out).source)
    expected = [(f"n{index[p]}", f"n{index[v]}") for v in order for p in v._prev]
    assert drawn == expected
    square = index[out._prev[1]]
    assert drawn.count((f"n{index[x]}", f"n{square}")) == 2
    assert "ordering=in" in viz.draw_graph(out).source  # Graphviz keeps the argument order


def test_show_grad_off_and_tangent_after_forward_mode():
    x = Value(0.5, label="x")
    y = (x * 3.0).tanh()
    assert "tangent" not in viz.draw_graph(y).source
    forward_tangents(y, {x: 1.0})
    source = viz.draw_graph(y, show_grad=False).source
    assert "grad " not in source.replace("gradient", "")
    assert f"tangent {y.tangent:.4g}" in source
    assert "tangent: red +" in source  # no backward pass: coloured by tangent


def test_labels_are_escaped_and_svg_parses():
    x = Value(1.0, label='<x> & "y"')
    out = x * 2.0
    out.backward()
    drawing = viz.draw_graph(out)
    assert "&lt;x&gt; &amp;" in drawing.source
    assert sorted(svg_nodes(drawing.pipe(format="svg"))) == ["n0", "n1", "n2"]


def test_rankdir_and_bad_arguments():
    out = micrograd_example(backward=True)
    assert "rankdir=TB" in viz.draw_graph(out, "TB").source
    with pytest.raises(TypeError, match="draw_graph: root must be a Value"):
        viz.draw_graph("x")
    with pytest.raises(TypeError, match="holding a int"):
        viz.draw_graph([out, 3])
    with pytest.raises(ValueError, match="draw_graph: rankdir must be one of"):
        viz.draw_graph(out, rankdir="up")
    with pytest.raises(ValueError, match="draw_graph: collapse must be"):
        viz.draw_graph(out, collapse="unit")
    with pytest.raises(ValueError, match="needs model="):
        viz.draw_graph(out, collapse="neuron")
    with pytest.raises(ValueError, match="max_nodes must be"):
        viz.draw_graph(out, max_nodes=0)
    with pytest.raises(ValueError, match="vanishing must be"):
        viz.draw_graph(out, vanishing=-1.0)
    with pytest.raises(ValueError, match="digits must be"):
        viz.draw_graph(out, digits=0)
    with pytest.raises(TypeError, match="model must have named_parameters"):
        viz.draw_graph(out, model=object())


def test_several_roots_are_drawn_together():
    x = Value(2.0, label="x")
    a, b = x * 3.0, x.exp()
    assert len(node_statements(viz.draw_graph([a, b]).source)) == 4


# --------------------------------------------------------------------------- determinism

SCRIPT = textwrap.dedent("""
    import nn, viz
    from autograd import Value
    model = nn.MLP(2, [3, 2], generator=3)
    xs = [[Value(0.5, label="x0"), Value(-1.0, label="x1")], [1.5, 0.25]]
    loss = sum(((y - t) ** 2 for x, t in zip(xs, [1.0, -1.0]) for y in model(x)), Value(0.0))
    loss.backward()
    print(viz.draw_graph(loss, model=model).source)
    print(viz.draw_graph(loss, model=model, collapse="neuron", vanishing=0.01).source)
    print(viz.draw_graph(loss, max_nodes=20).source)
""")


def test_dot_is_byte_identical_across_runs_and_hash_seeds():
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              cwd=ROOT, env=env, check=True)
        runs.append(done.stdout)
    assert runs[0] == runs[1]
    assert runs[0].count("digraph") == 3


def test_same_graph_built_twice_gives_the_same_source():
    assert viz.draw_graph(micrograd_example(backward=True)).source == viz.draw_graph(micrograd_example(backward=True)).source


def test_no_recursion_on_deep_graphs():
    x = Value(0.1, label="x")
    y = x
    for _ in range(5000):  # five times Python's default recursion limit
        y = (y * 1.0001).relu()
    y.backward()
    drawing = viz.draw_graph(y, max_nodes=None)
    assert len(node_statements(drawing.source)) == len(topological_order(y)) == 15001
    folded = viz.draw_graph(y).source
    assert len(node_statements(folded)) == viz.graph.DEFAULT_MAX_NODES
    assert "folded into one node" in folded


# --------------------------------------------------------------------------- render


def test_render_writes_each_format(tmp_path):
    out = micrograd_example(backward=True)
    svg = viz.render(out, tmp_path / "g.svg")
    assert svg == tmp_path / "g.svg"
    assert sorted(svg_nodes(svg.read_bytes())) == [f"n{i}" for i in range(7)]
    png = viz.render(out, tmp_path / "g.png", format="png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.render(out, tmp_path / "g.pdf", format="pdf").read_bytes()[:5] == b"%PDF-"
    dot = viz.render(out, tmp_path / "sub" / "g.dot", format="dot", rankdir="TB")
    assert dot.read_text() == viz.draw_graph(out, rankdir="TB").source
    drawing = viz.draw_graph(out)
    assert viz.render(drawing, str(tmp_path / "again.dot"), "dot").read_text() == drawing.source


MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "dot": b"digraph"}


def is_format(data: bytes, fmt: str) -> bool:
    if fmt == "svg":
        return data.startswith(b"<?xml") and b"<svg" in data[:400]
    return data.startswith(MAGIC[fmt])


def test_render_takes_the_format_from_the_suffix(tmp_path):
    out = micrograd_example(backward=True)
    for name, fmt in (("g.png", "png"), ("g.PDF", "pdf"), ("g.svg", "svg"), ("g.dot", "dot"),
                      ("g.gv", "dot"), ("graph", "svg")):
        data = viz.render(out, tmp_path / name).read_bytes()
        assert is_format(data, fmt), (name, data[:20])
        assert sum(is_format(data, f) for f in ("svg", "png", "pdf", "dot")) == 1
    assert is_format(viz.render(out, tmp_path / "notes.txt", format="dot").read_bytes(), "dot")
    with pytest.raises(ValueError, match=r"render: the suffix '\.png' .* says png, but "
                                         r"format='svg'"):
        viz.render(out, tmp_path / "bad.png", format="svg")
    with pytest.raises(ValueError, match=r"render: cannot tell a format from the suffix '\.jpg'"):
        viz.render(out, tmp_path / "g.jpg")
    assert not (tmp_path / "bad.png").exists() and not (tmp_path / "g.jpg").exists()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_png_is_rendered_at_twice_the_resolution(tmp_path):
    out = micrograd_example(backward=True)
    svg = ET.fromstring(viz.render(out, tmp_path / "g.svg").read_bytes())
    width_pt, height_pt = (float(svg.get(k).removesuffix("pt")) for k in ("width", "height"))
    width, height = png_size(viz.render(out, tmp_path / "g.png").read_bytes())
    assert abs(width - width_pt * 192 / 72) <= 3 and abs(height - height_pt * 192 / 72) <= 3
    width, height = png_size(viz.draw_graph(out).pipe(format="png"))  # the Drawing itself too
    assert abs(width - width_pt * 192 / 72) <= 3


def svg_texts(svg: bytes | str) -> list[ET.Element]:
    tree = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    return [t for t in tree.iter(f"{SVG}text") if (t.text or "").strip()]


def test_every_text_is_at_least_14_points():
    model, _, out = one_sample_mlp()
    x = Value(-1.0, label="x")
    dead = x.relu() + 1.0
    dead.backward()
    for drawing in (viz.draw_graph(out, model=model, collapse="neuron", title="sizes"),
                    viz.draw_graph(out, model=model, max_nodes=2),
                    viz.draw_graph(dead, vanishing=1e-3)):
        texts = svg_texts(drawing.pipe(format="svg"))
        assert len(texts) > 10
        sizes = {float(t.get("font-size")) for t in texts}
        assert min(sizes) >= 14.0, sorted(sizes)


def test_negative_zero_is_drawn_as_zero():
    assert viz.drawing.fmt(-0.0) == "0" and viz.drawing.fmt(-1e-300) == "-1e-300"
    x = Value(-0.0, label="x")
    y = x * 3.0
    y.backward()
    svg = viz.draw_graph(y).pipe(format="svg").decode()
    shown = [t.text for t in svg_texts(svg)]
    assert "data 0" in shown and not any(t.endswith(("-0", "\u22120")) for t in shown)
    assert "data=-0.0" not in svg and "data=0.0" in svg  # the tooltip too


def test_title_is_escaped_and_drawn_above_the_graph_with_the_legend_below():
    out = micrograd_example(backward=True)
    title = 'L = (a * b + c) * f <for "you"> & me'
    drawing = viz.draw_graph(out, title=title)
    assert "&lt;for &quot;you&quot;&gt; &amp; me" in drawing.source or \
        '&lt;for "you"&gt; &amp; me' in drawing.source
    texts = svg_texts(drawing.pipe(format="svg"))
    (heading,) = [t for t in texts if t.text == title]
    assert float(heading.get("font-size")) > 14
    legend = next(t for t in texts if t.text.startswith("gradient: red +"))
    node_ys = [float(t.get("y")) for t in texts if t.text.startswith("data ")]
    assert float(heading.get("y")) < min(node_ys) < max(node_ys) < float(legend.get("y"))
    untitled = svg_texts(viz.draw_graph(out).pipe(format="svg"))
    assert not any(t.text == title for t in untitled)
    assert viz.draw_graph(out, title="only", legend=False).source.count("only") == 1
    with pytest.raises(TypeError, match="draw_graph: title must be None or a str; got int"):
        viz.draw_graph(out, title=3)


def test_render_rejects_bad_format_path_and_options(tmp_path):
    out = micrograd_example(backward=True)
    with pytest.raises(ValueError, match="render: format must be one of svg, png, pdf, dot"):
        viz.render(out, tmp_path / "g.jpg", format="jpg")
    with pytest.raises(TypeError, match="render: path must be"):
        viz.render(out, 3)
    with pytest.raises(TypeError, match="cannot be applied to an already drawn graph"):
        viz.render(viz.draw_graph(out), tmp_path / "g.svg", rankdir="TB")


# --------------------------------------------------------------------------- networks


def test_mlp_nodes_are_clustered_by_module_and_the_loss_is_top_level():
    model = nn.MLP(2, [3, 1], generator=1)
    x0 = Value(1.0, label="x0")
    out = model([x0, Value(-0.5, label="x1")])
    loss = (out - 1.0) ** 2
    loss.backward()
    order = topological_order(loss)
    index = {v: i for i, v in enumerate(order)}
    groups = assign_groups(order, model)
    assert groups.names[index[out]] == "layers.1.neurons.0"
    assert groups.names[index[loss]] == groups.names[index[loss._prev[0]]] == ""
    assert groups.names[index[x0]] == ""  # an input read by three neurons
    for name, p in model.named_parameters():
        assert groups.names[index[p]] == re.sub(r"\.(w\.\d+|b)$", "", name)
    source = viz.draw_graph(loss, model=model).source
    assert 'subgraph "cluster_layers.0"' in source
    assert 'subgraph "cluster_layers.0.neurons.2"' in source
    assert re.search(r'label="layers.0.neurons.2 \(Neuron\)"', source)
    assert ">w.1<" in source  # parameters are named after the module


def test_grouping_without_named_modules_matches():
    model = nn.MLP(2, [3, 1], generator=1)
    out = model([1.0, -0.5])

    class ParametersOnly:
        def named_parameters(self):
            return model.named_parameters()

    order = topological_order(out)
    assert assign_groups(order, ParametersOnly()).names == assign_groups(order, model).names


def test_activation_constants_stay_inside_their_neuron():
    model, _, out = one_sample_mlp((3, 1), activation="gelu")
    order = topological_order(out)
    groups = assign_groups(order, model)
    assert "" not in groups.names  # GELU's 0.5 * x and the inputs all belong to a neuron
    source = viz.draw_graph(out, model=model, collapse="neuron").source
    assert len(node_statements(source)) == 4


def test_collapse_by_neuron_shows_each_output_and_gradient():
    model, outputs, out = one_sample_mlp()
    assert len(topological_order(out)) > 1000
    drawing = viz.draw_graph(out, model=model, collapse="neuron")
    nodes = node_statements(drawing.source)
    assert len(nodes) == 33 and all(name.startswith("g") for name in nodes)
    by_module = {re.search(r"<b>([\w.]+)</b>", s).group(1): s for s in nodes.values()}
    for layer, values in enumerate(outputs):
        for j, v in enumerate(values):
            label = by_module[f"layers.{layer}.neurons.{j}"]
            assert f"{v.data:.4g}" in label and f"grad {v.grad:.4g}" in label
    assert len(svg_nodes(drawing.pipe(format="svg"))) == 33


def svg_edges(svg: bytes | str) -> dict[str, tuple[str, str]]:
    """Every drawn edge of an SVG: its id -> (its title, the text drawn on it)."""
    tree = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    found = {}
    for g in tree.iter(f"{SVG}g"):
        if g.get("class") == "edge":
            text = " ".join(t.text for t in g.iter(f"{SVG}text"))
            found[g.get("id")] = (g.find(f"{SVG}title").text, text)
    return found


def test_edges_between_collapsed_layers_are_one_bundle_with_a_count():
    model, _, out = one_sample_mlp()
    drawing = viz.draw_graph(out, model=model, collapse="neuron")
    svg = drawing.pipe(format="svg")
    drawn = svg_edges(svg)
    assert sorted(text for _, text in drawn.values()) == ["16 edges", "256 edges"]
    assert sorted(drawn) == ["b0", "b1"]
    # each bundle runs from the frame of one layer to the frame of the next
    def x_range(g: ET.Element) -> tuple[float, float]:
        shapes = [e.get("d") or e.get("points") for e in g.iter()
                  if e.tag in (f"{SVG}path", f"{SVG}polygon")]
        xs = [float(x) for x in re.findall(r"(-?[\d.]+),-?[\d.]+", " ".join(shapes))]
        return min(xs), max(xs)

    groups = list(ET.fromstring(svg).iter(f"{SVG}g"))
    frames = {g.find(f"{SVG}title").text: x_range(g) for g in groups
              if g.get("class") == "cluster"}
    arrows = {g.get("id"): x_range(g) for g in groups if g.get("id") in drawn}
    for bundle, (tail, head) in (("b0", (0, 1)), ("b1", (1, 2))):
        start, tip = arrows[bundle]
        assert abs(start - frames[f"cluster_layers.{tail}"][1]) <= 1
        assert abs(tip - frames[f"cluster_layers.{head}"][0]) <= 1
    # the edges between groups that remain in the DOT are invisible (they hold the order)
    group_edges = re.findall(r"^\s*g\d+ -> g\d+ (\[[^\]]*\])?", drawing.source, re.MULTILINE)
    assert len(group_edges) == 15 + 15 + 2
    assert sum("invis" in attrs for attrs in group_edges) == 30


def test_collapsed_neurons_stand_in_index_order():
    model, _, out = one_sample_mlp()
    for rankdir, axis in (("LR", "y"), ("TB", "x"), ("RL", "y"), ("BT", "x")):
        drawing = viz.draw_graph(out, model=model, collapse="neuron", rankdir=rankdir)
        declared = re.findall(r"<b>(layers\.\d+\.neurons\.\d+)</b>", drawing.source)
        assert declared == [f"layers.{k}.neurons.{j}" for k, n in ((0, 16), (1, 16), (2, 1))
                            for j in range(n)]
        tree = ET.fromstring(drawing.pipe(format="svg"))
        where = {}
        for g in tree.iter(f"{SVG}g"):
            if g.get("class") == "node":
                title = next(g.iter(f"{SVG}text"))
                where[title.text] = float(title.get(axis))
        for layer in (0, 1):
            along = [where[f"layers.{layer}.neurons.{j}"] for j in range(16)]
            assert along == sorted(along) and len(set(along)) == 16, (rankdir, layer, along)


def test_svg_ids_name_what_they_draw():
    out = micrograd_example(backward=True)
    order = topological_order(out)
    index = {v: i for i, v in enumerate(order)}
    svg = viz.draw_graph(out).pipe(format="svg")
    tree = ET.fromstring(svg)
    nodes = {g.get("id"): g.find(f"{SVG}title").text
             for g in tree.iter(f"{SVG}g") if g.get("class") == "node"}
    assert nodes == {f"n{i}": f"n{i}" for i in range(len(order))}
    expected = {f"e{index[v]}_{k}": (f"n{index[p]}->n{index[v]}", "")
                for v in order for k, p in enumerate(v._prev)}
    assert svg_edges(svg) == expected


def test_dead_neurons_are_grey_and_dashed_when_collapsed():
    model, outputs, out = one_sample_mlp()
    nodes = node_statements(viz.draw_graph(out, model=model, collapse="neuron").source)
    for layer, values in enumerate(outputs[:-1]):
        for j, v in enumerate(values):
            label = next(s for s in nodes.values() if f"<b>layers.{layer}.neurons.{j}</b>" in s)
            dead = v.data == 0.0  # a ReLU at 0 passes no gradient to its weights
            assert ("dashed" in label) == dead
            assert (f'fillcolor="{ZERO}"' in label) == dead


def test_collapse_by_layer():
    model, _, out = one_sample_mlp()
    drawing = viz.draw_graph(out, model=model, collapse="layer")
    nodes = node_statements(drawing.source)
    assert len(nodes) == 3
    assert edges(drawing.source) == [("g0", "g1"), ("g1", "g2")]
    assert "13 more outputs" in nodes["g0"]
    assert f"grad {out.grad:.4g}" in nodes["g2"]
    assert sorted(svg_nodes(drawing.pipe(format="svg"))) == ["g0", "g1", "g2"]


def test_uncollapsed_mlp_svg_has_one_node_per_value():
    model, _, out = one_sample_mlp()
    n = len(topological_order(out))
    svg = viz.draw_graph(out, model=model, max_nodes=None).pipe(format="svg")
    assert sorted(svg_nodes(svg)) == sorted(f"n{i}" for i in range(n))


def test_large_graphs_collapse_automatically_with_a_note():
    model, _, out = one_sample_mlp()
    source = viz.draw_graph(out, model=model).source  # about 1,000 values > max_nodes
    assert len(node_statements(source)) == 33
    assert "collapsed by neuron" in source and "max_nodes=300" in source
    source = viz.draw_graph(out, model=model, max_nodes=10).source
    assert len(node_statements(source)) == 3 and "collapsed by layer" in source
    source = viz.draw_graph(out, model=model, max_nodes=2).source
    assert list(node_statements(source)) == ["rest", "g0"] and "folded into one node" in source
    assert "<b>layers.2</b>" in source  # the output's side is kept
    source = viz.draw_graph(out, max_nodes=50).source  # no model: the inputs' side is folded
    assert len(node_statements(source)) == 50 and "model= groups by module" in source


# --------------------------------------------------------------------------- colour


def fill(source: str, name: str) -> str:
    return re.search(r'fillcolor="([^"]+)"', node_statements(source)[name]).group(1)


def test_colour_by_sign_and_size_with_legend():
    out = micrograd_example(backward=True)  # grads: a 6, b -4, e/c/d -2, f 4, L 1
    source = viz.draw_graph(out).source
    assert fill(source, "n0") == POSITIVE[3] and fill(source, "n1") == NEGATIVE[3]
    assert fill(source, "n6") == POSITIVE[2]  # 1 is a decade below 6
    assert "gradient: red +, blue" in source and "|grad| 1 to 10" in source
    plain = viz.draw_graph(out, color=None).source
    assert "gradient" not in plain and POSITIVE[3] not in plain


def test_no_colour_before_backward():
    x = Value(1.0, label="x")
    source = viz.draw_graph(x * 2.0).source
    assert "gradient" not in source and "dashed" not in source


def test_zero_gradients_are_grey_and_dashed_and_vanishing_ones_marked():
    x, y = Value(-1.0, label="x"), Value(2.0, label="y")
    out = x.relu() + y * 1e-7
    out.backward()
    order = topological_order(out)
    index = {v: i for i, v in enumerate(order)}
    source = viz.draw_graph(out, vanishing=1e-6).source
    nodes = node_statements(source)
    assert "dashed" in nodes[f"n{index[x]}"] and fill(source, f"n{index[x]}") == ZERO
    assert VANISHING in nodes[f"n{index[y]}"]
    assert "exactly 0 (dashed)" in source and "(vanishing)" in source
    assert VANISHING not in viz.draw_graph(out).source


def test_scale_bins_are_decades_below_the_largest():
    scale = GradientScale.for_values([0.0, 3.0, -0.02])
    assert scale.top == 1
    assert [scale.level(v) for v in (3.0, -0.5, 0.05, 0.002, 1e-9)] == [3, 2, 1, 0, 0]
    assert scale.bin_labels() == ["1 to 10", "0.1 to 1", "0.01 to 0.1", "below 0.01"]
    assert scale.style(float("nan")).fill != scale.style(0.0).fill


# --------------------------------------------------------------------------- Jupyter, no dot


def test_importing_viz_makes_ipython_show_values_as_graphs():
    from IPython.core.interactiveshell import InteractiveShell

    out = micrograd_example(backward=True)
    assert not hasattr(Value, "_repr_mimebundle_")  # the engine has no display code
    assert register(None) is False  # outside a running IPython shell: nothing to do
    shell = InteractiveShell.instance()
    try:
        assert register(shell) is True
        data, _ = shell.display_formatter.format(out)
        assert len(svg_nodes(data["image/svg+xml"])) == 7
    finally:
        InteractiveShell.clear_instance()


def test_value_and_drawing_display_as_svg():
    out = micrograd_example(backward=True)
    bundle = value_bundle(out)
    assert list(bundle) == ["image/svg+xml"]
    assert len(svg_nodes(bundle["image/svg+xml"])) == 7
    assert viz.draw_graph(out)._repr_mimebundle_(include=[]) == {}


def test_without_dot_source_still_works_and_svg_says_how_to_install(monkeypatch, tmp_path):
    out = micrograd_example(backward=True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on PATH
    drawing = viz.draw_graph(out)
    assert isinstance(drawing, graphviz.Digraph)
    assert len(node_statements(drawing.source)) == 7
    bundle = value_bundle(out)
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert "n2 = *(n0, n1)  e | data -6 | grad -2" in text and "apt-get install graphviz" in text
    message = r"render\(format='svg'\): Graphviz's `dot`"
    with pytest.raises(GraphvizNotFoundError, match=message) as err:
        viz.render(out, tmp_path / "g.svg")
    assert isinstance(err.value, graphviz.ExecutableNotFound)
    assert "brew install graphviz" in str(err.value)
    with pytest.raises(GraphvizNotFoundError, match=r"Drawing\.pipe"):
        drawing.pipe(format="svg")
    assert viz.render(out, tmp_path / "g.dot", format="dot").read_text() == drawing.source
    assert not (tmp_path / "g.svg").exists()


def test_each_edge_says_its_local_derivative_as_the_table_writes_it():
    x, w, b = Value(0.5, label="x"), Value(-3.0, label="w"), Value(2.0, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    svg = viz.draw_graph(y).pipe(format="svg", encoding="utf-8")
    titles = [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*∂[^"]*)"', svg)]
    assert sorted(titles) == sorted(["∂n2/∂x = w", "∂n2/∂w = x", "∂n4/∂n2 = 1", "∂n4/∂b = 1",
                                     "∂y/∂n4 = 1 - y²"])
