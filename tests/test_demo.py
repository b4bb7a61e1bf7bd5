"""The main job runs end to end: ``make demo`` is ``python docs/demo.py``.

Its picture of a neuron is read back from the SVG and checked against the
chain rule with the very numbers it shows: for every node, the gradient
drawn equals the sum over the edges leaving it of (local partial, recomputed
from the drawn data with the primitive table) * (the child's drawn
gradient), to the drawn precision.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

import nn
import viz
from autograd import Value
from autograd.primitives import FLOATS, PRIMITIVES

DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo.py"
_spec = importlib.util.spec_from_file_location("demo", DEMO)
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

SVG = "{http://www.w3.org/2000/svg}"


def read_drawing(svg: str) -> tuple[dict[str, tuple[str, float, float]], list[tuple[str, str, int]]]:
    """From a drawing's SVG: per node id its (op, data, grad) as drawn; each edge as (tail, head,
    argument), the argument read from the edge's id ``e{head}_{arg}``."""
    nodes, edges = {}, []
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") == "node":
            texts = list(g.iter(f"{SVG}text"))
            op = next((t.text.strip() for t in texts if t.get("font-weight") == "bold"), "")
            shown = {}
            for t in texts:
                word, _, number = (t.text or "").strip().partition(" ")
                if word in ("data", "grad"):
                    shown[word] = float(number)
            nodes[g.get("id")] = (op, shown["data"], shown["grad"])
        elif g.get("class") == "edge":
            head, arg = re.fullmatch(r"e(\d+)_(\d+)", g.get("id")).groups()
            tail, drawn_head = g.find(f"{SVG}title").text.split("->")
            assert drawn_head == f"n{head}", (g.get("id"), drawn_head)
            edges.append((tail, drawn_head, int(arg)))
    return nodes, edges


def chain_rule_violations(svg: str, digits: int = 4) -> list[str]:
    """The nodes whose drawn grad is not sum_children partial * child.grad (1 at the output).

    Every number shown has ``digits`` significant digits, so it is within half a unit of its
    last digit, 0.5 * 10**(1 - digits) relative, of the engine's; a parent, a partial and a
    child's gradient together are then within three times that of the sum of the sizes.
    """
    nodes, edges = read_drawing(svg)
    args: dict[str, dict[int, str]] = defaultdict(dict)
    for tail, head, arg in edges:
        args[head][arg] = tail
    expected = dict.fromkeys(nodes, 0.0)
    size = dict.fromkeys(nodes, 0.0)
    parents = set()
    for head, tails in args.items():
        op, out, g = nodes[head]
        assert op in PRIMITIVES, f"{head}: cannot check op {op!r}"
        inputs = [nodes[tails[k]][1] for k in range(len(tails))]
        partials = PRIMITIVES[op].partials(FLOATS, out, *inputs)
        for k, tail in tails.items():
            expected[tail] += partials[k] * g
            size[tail] += abs(partials[k] * g)
            parents.add(tail)
    rtol = 3 * 0.5 * 10.0 ** (1 - digits)
    problems = []
    for name, (_, _, shown) in nodes.items():
        want, scale = (expected[name], size[name]) if name in parents else (1.0, 1.0)
        if abs(shown - want) > rtol * (abs(shown) + scale):
            problems.append(f"{name}: grad {shown:g} drawn, the chain rule gives {want:g}")
    return problems


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``python docs/demo.py`` run once in a fresh directory: (its result, its out/ directory)."""
    cwd = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, str(DEMO)], cwd=cwd, capture_output=True, text=True, check=False,
        timeout=240, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    return result, cwd / "out"


def test_main_job_writes_every_file_and_passes_its_checks(demo_run):
    result, out = demo_run
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    names = {"loss_curve.png", "decision_boundary.png", "neuron.svg", "backward_stepper.html",
             "report.txt"}
    assert names <= {p.name for p in out.iterdir()}
    for name in names:
        assert str(out / name) in result.stdout  # it says where each file is
    report = (out / "report.txt").read_text()
    assert "training accuracy 100%" in report and "MISMATCH" not in report
    ET.parse(out / "neuron.svg")  # well-formed SVG
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" in (out / "backward_stepper.html").read_text()


def test_the_neuron_picture_obeys_the_chain_rule_with_the_numbers_it_shows(demo_run):
    _, out = demo_run
    svg = (out / "neuron.svg").read_text()
    nodes, edges = read_drawing(svg)
    assert len(nodes) == 10 and len(edges) == 9  # relu(b + w0 x0 + w1 x1): 5 leaves, 5 ops
    assert sorted(op for op, _, _ in nodes.values() if op) == ["*", "*", "+", "+", "relu"]
    assert any(grad not in (0.0, 1.0) for _, _, grad in nodes.values())  # not a trivial picture
    assert chain_rule_violations(svg) == []


def test_the_chain_rule_check_catches_one_wrong_number(demo_run):
    _, out = demo_run
    tree = ET.fromstring((out / "neuron.svg").read_text())
    node = next(g for g in tree.iter(f"{SVG}g") if g.get("class") == "node"
                and any(t.text == "w0" for t in g.iter(f"{SVG}text")))
    grad_text = next(t for t in node.iter(f"{SVG}text") if t.text.startswith("grad "))
    grad_text.text = f"grad {float(grad_text.text.split()[1]) * 1.03:.4g}"  # 3% off, as before
    (problem,) = chain_rule_violations(ET.tostring(tree, encoding="unicode"))
    assert problem.startswith(f"{node.get('id')}: grad")


def test_the_chain_rule_check_reads_argument_order(tmp_path):
    a, b, c = Value(1.5, label="a"), Value(-0.75, label="b"), Value(2.5, label="c")
    out = ((a - b) / c).tanh() * (b - a).exp()
    out.backward()
    svg = viz.render(out, tmp_path / "g.svg").read_text()
    assert chain_rule_violations(svg) == []
    # the same picture with the arguments of every '-' and '/' swapped breaks the chain rule
    nodes, _ = read_drawing(svg)
    swapped = svg
    for name, (op, _, _) in nodes.items():
        if op in ("-", "/"):
            i = name[1:]
            swapped = (swapped.replace(f'id="e{i}_0"', "TMP").replace(f'id="e{i}_1"', f'id="e{i}_0"')
                       .replace("TMP", f'id="e{i}_1"'))
    assert len(chain_rule_violations(swapped)) >= 2


def test_parameter_check_leaves_the_models_gradients_as_found():
    model = nn.MLP(2, [3, 1], generator=0)
    X, y = [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.5]], [1, -1, 1]
    params = model.parameters()
    for k, p in enumerate(params):
        p.grad = 0.125 * k - 1.0  # what training left: must survive the check

    def loss():
        return nn.MaxMarginLoss()([model(x) for x in X], y) + demo.l2_term(model, 0.01)()

    found = [(p.data, p.grad, p.tangent) for p in params]
    rows = demo.check_parameter_gradients(model, loss, count=4)
    assert len(rows) == 4 and all(ok for _, _, ok in rows)
    assert [(p.data, p.grad, p.tangent) for p in params] == found
    model.zero_grad()
    loss().backward()
    assert rows[0][0] == params[0].grad  # it checked the loss's own gradient, not grad + leftovers


def test_demo_trains_on_tapes_with_l2_passed_to_fit(monkeypatch):
    calls = []
    real_fit = nn.fit

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(nn, "fit", spy)
    model, X, y, history = demo.train(progress=False)
    (kwargs,) = calls
    assert kwargs["compiled"] is True
    reg = kwargs["regularization"]()
    expected = 1e-4 * sum(p.data ** 2 for p in model.parameters())
    assert reg.data == pytest.approx(expected, rel=1e-12)
    assert history["accuracy"][-1] >= 0.95
    assert nn.accuracy([model(x) for x in X], y) >= 0.95
