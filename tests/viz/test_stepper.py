"""viz.step_backward and viz.stepper.step_forward: the steps, their numbers, and the HTML page."""

from __future__ import annotations

import json
import re

import pytest
from graphs import micrograd_example, mlp_with_loss
from hypothesis import given

import nn
import viz
from autograd import Value, forward_tangents, topological_order
from autograd.testing import expressions, floats_in
from viz.stepper import Stepper, SweepStep, step_forward


def backward_grads(root: Value) -> list[float]:
    order = topological_order(root)
    for v in order:
        v.grad = 0.0
    root.backward()
    grads = [v.grad for v in order]
    for v in order:
        v.grad = 0.0
    return grads


# --------------------------------------------------------------------------- reverse steps


def test_steps_read_as_the_chain_rule():
    stepper = viz.step_backward(micrograd_example())
    assert isinstance(stepper, Stepper) and len(stepper) == 7
    assert [s.text for s in stepper.steps] == [
        "L.grad = 1.0  (dL/dL = 1)",
        "d.grad += f * L.grad = -2.0 * 1.0 = -2.0",
        "f.grad += d * L.grad = 4.0 * 1.0 = 4.0",
        "e.grad += 1 * d.grad = 1.0 * -2.0 = -2.0",
        "c.grad += 1 * d.grad = 1.0 * -2.0 = -2.0",
        "a.grad += b * e.grad = -3.0 * -2.0 = 6.0",
        "b.grad += a * e.grad = 2.0 * -2.0 = -4.0",
    ]
    a_step = stepper.steps[5]
    assert (a_step.node, a_step.target, a_step.arg) == (2, 0, 0)  # n2 = e propagates into n0 = a
    assert (a_step.partials, a_step.factors) == ((-3.0,), (-2.0,))
    assert (a_step.before, a_step.after) == (0.0, 6.0)
    assert stepper.steps[0].seed and not a_step.seed


def test_final_gradients_equal_backward_and_the_graph_is_untouched():
    out = micrograd_example()
    stepper = viz.step_backward(out)
    assert all(v.grad == 0.0 for v in stepper.nodes)
    assert stepper.final == backward_grads(out)


@given(expressions(n_inputs=3, max_steps=12), floats_in(-2, 2), floats_in(-2, 2), floats_in(-2, 2))
def test_final_gradients_equal_backward_on_random_graphs(expr, x, y, z):
    out = expr(Value(x), Value(y), Value(z))
    try:
        expected = backward_grads(out)
    except ArithmeticError:
        with pytest.raises(ArithmeticError):
            viz.step_backward(out)
        return
    stepper = viz.step_backward(out)
    assert stepper.final == expected  # the same floats, added in the same order
    n_edges = sum(len(v._prev) for v in stepper.nodes)
    assert len(stepper) == 1 + n_edges


def test_a_reused_node_accumulates_in_two_visible_steps():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    stepper = viz.step_backward(b)
    into_a = [s for s in stepper.steps if s.target == 0]
    assert [s.text for s in into_a] == ["a.grad += 1 * b.grad = 1.0 * 1.0 = 1.0"] * 2
    assert [(s.before, s.after) for s in into_a] == [(0.0, 1.0), (1.0, 2.0)]
    assert [s.arg for s in into_a] == [0, 1]


def test_state_replays_the_steps():
    stepper = viz.step_backward(micrograd_example(), 2.0)
    assert stepper.state(0) == [0.0] * 7
    assert stepper.state(1) == [0.0] * 6 + [2.0]
    assert stepper.state(len(stepper)) == stepper.final == [12.0, -8.0, -4.0, -4.0, -4.0, 8.0, 2.0]
    assert "the seed passed to backward" in stepper.steps[0].text
    with pytest.raises(ValueError, match=r"Stepper\.state: k must be an integer from 0 to 7"):
        stepper.state(8)


def test_partials_read_as_their_table_rows_write_them():
    x = Value(0.3, label="x")
    y = x.softplus(2.0)
    y.label = "y"
    z = (y ** 3).tanh()
    z.label = "z"
    texts = [s.text for s in viz.step_backward(z).steps]
    assert texts[1].startswith("n2.grad += (1 - z²) * z.grad = ")
    assert texts[2].startswith("y.grad += (3·y^(3 - 1)) * n2.grad = ")
    assert texts[3].startswith("x.grad += (σ(2·x), or 1 where 2·x > 20) * y.grad = ")


def test_a_row_of_your_own_reads_generically_unless_it_has_text():
    from autograd import Primitive, apply

    plain = Primitive("cube", 1, lambda m, x: x * x * x, lambda m, out, x: (3 * x * x,))
    worded = Primitive("cube", 1, lambda m, x: x * x * x, lambda m, out, x: (3 * x * x,),
                       text=("3·{0}²",))
    x = Value(2.0, label="x")
    for row, formula in ((plain, "∂y/∂x"), (worded, "3·x²")):
        y = apply(row, x)
        y.label = "y"
        assert viz.step_backward(y).steps[1].text == (
            f"x.grad += {formula} * y.grad = 12.0 * 1.0 = 12.0")


def test_duplicate_labels_fall_back_to_node_numbers():
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    stepper = viz.step_backward(a * b)
    assert stepper.names == ["n0", "n1", "n2"]


def test_bad_arguments():
    out = micrograd_example()
    with pytest.raises(TypeError, match="step_backward: root must be a Value, got float"):
        viz.step_backward(1.0)
    with pytest.raises(TypeError, match="step_backward: gradient must be a number"):
        viz.step_backward(out, True)
    with pytest.raises(ValueError, match="step_backward: id_prefix must start with a letter"):
        viz.step_backward(out, id_prefix="1 bad")
    with pytest.raises(ValueError, match="step_backward: collapse="):
        viz.step_backward(out, collapse="layer")


# --------------------------------------------------------------------------- forward steps


def test_forward_steps_set_each_tangent_from_the_inputs():
    x = Value(3.0, label="x")
    y = (x + x) * x
    y.label = "y"
    stepper = step_forward(y, {x: 1.0})
    assert [s.text for s in stepper.steps] == [
        "x.tangent = 1.0  (seed)",
        "n1.tangent = 1 * x.tangent + 1 * x.tangent = 1.0 * 1.0 + 1.0 * 1.0 = 2.0",
        "y.tangent = x * n1.tangent + n1 * x.tangent = 3.0 * 2.0 + 6.0 * 1.0 = 12.0",
    ]
    assert stepper.start == [None, None, None] and stepper.quantity == "tangent"
    assert x.tangent is None  # the graph is untouched
    assert stepper.final == [1.0, 2.0, 12.0] == [1.0, 2.0, forward_tangents(y, {x: 1.0})]


@given(expressions(n_inputs=2, max_steps=10), floats_in(-2, 2), floats_in(-2, 2),
       floats_in(-3, 3))
def test_final_tangents_equal_forward_tangents(expr, x, y, t):
    a, b = Value(x), Value(y)
    out = expr(a, b)
    order = topological_order(out)
    seeds = {a: t} if a in set(order) else {}
    stepper = step_forward(out, seeds)
    forward_tangents(out, seeds)
    assert stepper.final == [v.tangent for v in order]


def test_forward_seed_errors():
    x = Value(1.0)
    y = x * 2.0
    with pytest.raises(ValueError, match="which is not a leaf"):
        step_forward(y, {y: 1.0})
    with pytest.raises(ValueError, match="which the output does not depend on"):
        step_forward(y, {Value(5.0): 1.0})
    with pytest.raises(TypeError, match="seeds must be keyed by Values"):
        step_forward(y, {"x": 1.0})
    with pytest.raises(TypeError, match="seeds must be a mapping"):
        step_forward(y, [x])
    with pytest.raises(TypeError, match="must be a finite number"):
        step_forward(y, {x: float("nan")})


# --------------------------------------------------------------------------- the page


def page_data(html: str, prefix: str) -> dict:
    script = rf'<script type="application/json" id="{prefix}data">(.*?)</script>'
    found = re.search(script, html, re.DOTALL)
    return json.loads(found.group(1))


def test_to_html_writes_one_self_contained_page(tmp_path):
    stepper = viz.step_backward(micrograd_example(), id_prefix="demo")
    path = stepper.to_html(tmp_path / "out" / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<svg" in page and page.count('class="node"') == 7
    # nothing to fetch: no external scripts, styles, images or imports
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "<link" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and all(i.startswith("demo") for i in ids)
    data = page_data(page, "demo")
    assert len(data["steps"]) == 7 and data["kind"] == "grad"
    assert data["steps"][5]["x"] == "a.grad += b * e.grad = -3.0 * -2.0 = 6.0"
    assert data["steps"][5]["s"] == [2] and data["steps"][5]["t"] == 0
    assert data["steps"][5]["e"] == ["e2_0"]  # the edge from a into argument 0 of e
    assert stepper.html(full_page=True) == page  # a fixed prefix gives the same page again


def test_no_javascript_fallback_lists_every_step():
    stepper = viz.step_backward(micrograd_example(), id_prefix="nojs")
    html = stepper.html()
    steps = re.search(r'<ol class="bps-steps">(.*?)</ol>', html, re.DOTALL).group(1)
    assert steps.count("<li>") == 7
    assert "a.grad += b * e.grad = -3.0 * -2.0 = 6.0" in steps
    assert 'id="nojscontrols" hidden' in html and 'id="nojsnow" hidden' in html
    assert ".bps-js .bps-steps" in html  # the script hides the list once it runs


def test_each_rendering_gets_its_own_prefix():
    stepper = viz.step_backward(micrograd_example())
    first, second = stepper._repr_html_(), stepper._repr_html_()
    prefixes = [re.search(r'<div id="(\w+)root"', h).group(1) for h in (first, second)]
    assert prefixes[0] != prefixes[1]
    assert "<html" not in first
    ids = [set(re.findall(r'\bid="([^"]+)"', h)) for h in (first, second)]
    assert ids[0] and ids[0].isdisjoint(ids[1])
    layout = stepper.layout
    stepper.html()
    assert stepper.layout is layout  # Graphviz lays the graph out once per stepper


def test_forward_page_and_collapsed_page():
    x = Value(0.5, label="x")
    y = (x * x).sin()
    page = step_forward(y, {x: 1.0}, id_prefix="fw").html()
    data = page_data(page, "fw")
    assert data["kind"] == "tangent" and data["steps"][0]["x"] == "x.tangent = 1.0  (seed)"
    model = nn.MLP(2, [3, 1], generator=2)
    out = model([1.0, 2.0])
    page = viz.step_backward(out, model=model, collapse="neuron", id_prefix="mlp").html()
    data = page_data(page, "mlp")
    assert set(data["units"]) == {"g0", "g1", "g2", "g3"}
    assert len(data["steps"]) == 1 + sum(len(v._prev) for v in topological_order(out))


def test_page_without_dot_shows_the_table(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    stepper = viz.step_backward(micrograd_example(), id_prefix="nodot")
    page = stepper.html()
    assert "<svg" not in page and "apt-get install graphviz" in page
    assert page.count('<tr id="nodotr') == 7
    assert len(page_data(page, "nodot")["steps"]) == 7


def test_step_is_a_frozen_record():
    step = viz.step_backward(micrograd_example()).steps[1]
    assert isinstance(step, SweepStep)
    with pytest.raises(AttributeError):
        step.after = 0.0


# --------------------------------------------------------------------------- networks


@pytest.mark.parametrize("by, most", [("layer", 10), ("neuron", 60)])
def test_a_network_steps_by_module_and_ends_on_the_engines_grads(by, most):
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by=by)
    assert 3 <= len(stepper) <= most
    assert all(v.grad == 0.0 for v in stepper.nodes)  # watching changed nothing
    assert stepper.final == backward_grads(loss)  # the same floats as backward()
    # every chain-rule step of the sweep is inside exactly one module step
    assert sum(len(s.parts) for s in stepper.steps) == sum(len(v._prev) for v in stepper.nodes)
    units = [s.unit for s in stepper.steps[1:]]
    assert len(units) == len(set(units))  # a module is swept in one go, never revisited


def test_module_steps_name_parameters_by_their_module_names():
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="neuron")
    names = dict(model.named_parameters())
    step = next(s for s in stepper.steps if s.unit == "layers.1.neurons.3")
    assert stepper.names[step.target] == "layers.1.neurons.3.b"  # what the quiz asks for
    assert stepper.nodes[step.target] is names["layers.1.neurons.3.b"]
    assert step.text.startswith("layers.1.neurons.3 (Neuron): ")
    assert any(line.startswith("layers.1.neurons.3.w.0.grad += ") for line in step.lines)


def test_every_node_a_step_names_is_in_the_picture():
    model, loss = mlp_with_loss()
    for by in ("op", "neuron", "layer"):
        stepper = viz.step_backward(loss, model=model, by=by, id_prefix="p")
        page = stepper.html()
        drawn = set(re.findall(r'id="p(n\d+)"', page))
        texts = [s.text for s in stepper.steps] + [x for s in stepper.steps for x in s.lines]
        mentioned = {m for t in texts for m in re.findall(r"\b(n\d+)\b", t)}
        assert mentioned <= drawn, sorted(mentioned - drawn)[:5]


def test_collapsed_boxes_show_the_values_as_of_each_step():
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="layer", id_prefix="L")
    data = page_data(stepper.html(), "L")
    start = data["gstart"]
    assert set(start) == {"g0", "g1", "g2"}
    assert all("max |grad| 0" in " ".join(rows) for rows, _ in start.values())
    # the box of layers.2 changes when its step runs, and ends as the drawing of the final state
    seen = {}
    for step in data["steps"]:
        for name, rows, _ in step["g"]:
            seen[name] = rows
    final_plan = stepper.drawing_plan("L")
    for name, rows in seen.items():
        box = re.search(rf'{name} \[.*?\]', final_plan.drawing.source, re.DOTALL).group(0)
        for row in rows[2:]:
            assert row.replace("|", "&#124;") in box.replace("&#45;", "-") or row in box


def test_quiz_pages_carry_the_answers_and_hide_nothing_without_quiz():
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="layer", quiz=True, id_prefix="q")
    page = stepper.html()
    data = page_data(page, "q")
    assert data["quiz"] is True and 'id="qanswer"' in page
    assert [s["q"] for s in data["steps"]] == [s.after for s in stepper.steps]
    assert all("what is" in s["qx"] for s in data["steps"])
    plain = viz.step_backward(loss, model=model, by="layer", id_prefix="p").html()
    assert 'id="panswer"' not in plain and page_data(plain, "p")["quiz"] is False


def test_network_stepper_arguments():
    model, loss = mlp_with_loss()
    with pytest.raises(ValueError, match="step_backward: by='layer' needs model="):
        viz.step_backward(loss, by="layer")
    with pytest.raises(ValueError, match="step_backward: by must be 'op', 'neuron' or 'layer'"):
        viz.step_backward(loss, model=model, by="block")
    with pytest.raises(TypeError, match="step_backward: quiz must be True or False"):
        viz.step_backward(loss, quiz="yes")
    with pytest.raises(ValueError, match="step_backward: gradient must be finite"):
        viz.step_backward(loss, float("nan"))


def test_the_network_page_stays_small():
    model, loss = mlp_with_loss()
    for by in ("op", "neuron", "layer"):
        size = len(viz.step_backward(loss, model=model, by=by).html(full_page=True).encode())
        assert size < 5_000_000, (by, size)
