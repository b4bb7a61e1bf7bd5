"""``nn.fit(..., snapshots=k)`` and ``viz.training_view``: what is recorded, and what the page shows.

Every picture is read back and checked against the engine: the boundary PNG
decoded pixel by pixel against the scalar engine's scores, the network's
boxes (parsed SVG) against the snapshot's gradients, the curves' markers
mapped back through their axes to the history. The browser tests drive the
page in headless Chromium (``tests/browser.py``).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from browser import click, launch, needs_browser, open_page

import nn
import viz
from autograd import no_grad
from viz.colors import GradientScale
from viz.drawing import fmt
from viz.training_view import ORANGE, TEAL, encode_png, shade

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
EPOCHS, EVERY = 6, 2


def train(epochs: int = EPOCHS, snapshots: int | None = EVERY, compiled: bool = False,
          batch_size: int | None = None):
    """A 2-4-4-1 ReLU net on 24 two-moons points (±1 labels), Adam with a step schedule."""
    X, labels = nn.data.two_moons(24, noise=0.1, generator=0)
    y = [2 * t - 1 for t in labels]
    model = nn.MLP(2, [4, 4, 1], generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    history = nn.fit(model, nn.MaxMarginLoss(), opt, (X, y), epochs=epochs, scheduler=sched,
                     metrics={"accuracy": nn.accuracy}, snapshots=snapshots, progress=False,
                     compiled=compiled, batch_size=batch_size)
    return model, history, (X, y)


@pytest.fixture(scope="module")
def run():
    model, history, data = train()
    view = viz.training_view(history, data, model, resolution=16, id_prefix="tv")
    return model, history, data, view


def scalar_scores(model, state, points) -> np.ndarray:
    """The scalar engine's score at each point, for the model with weights ``state``."""
    m = copy.deepcopy(model)
    m.load_state_dict(state)
    m.eval()
    with no_grad():
        return np.array([m([float(a), float(b)]).data for a, b in points])


def decode(uri: str) -> np.ndarray:
    """The pixels (height x width x 3) of a data:image/png URI, decoded by Pillow."""
    image = pytest.importorskip("PIL.Image", reason="Pillow decodes the PNG in this test")
    head = "data:image/png;base64,"
    assert uri.startswith(head)
    with image.open(io.BytesIO(base64.b64decode(uri[len(head):]))) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        return np.asarray(im).copy()


def check_boundary_pixels(model, view, frame_index: int, pixels: np.ndarray) -> None:
    """Each pixel's side (orange/teal) and colour is the scalar engine's score at its centre."""
    b = view.boundary
    frame = view.frames[frame_index]
    scores = scalar_scores(model, frame.state, b.centres()).reshape(b.resolution, b.resolution)
    assert pixels.shape == (b.resolution, b.resolution, 3)
    above = scores > b.threshold
    clear = np.abs(scores - b.threshold) > 1e-9  # a tie may round either way on a tape
    orange = pixels[..., 0].astype(int) > pixels[..., 2].astype(int)  # orange: R > B, teal: B > R
    assert np.array_equal(orange[clear], above[clear])
    expected = shade(scores, b.threshold, b.scale).astype(int)
    assert np.abs(pixels.astype(int) - expected).max() <= 1


# --------------------------------------------------------------------------- nn.fit(snapshots=)


def test_fit_records_the_model_every_k_epochs_and_after_the_last():
    model, history, _ = train(epochs=7, snapshots=3, batch_size=10)
    assert set(history) == {"loss", "lr", "accuracy", "snapshots"}
    assert len(history["loss"]) == len(history["lr"]) == len(history["accuracy"]) == 7
    snaps = history["snapshots"]
    assert [s["epoch"] for s in snaps] == [3, 6, 7]
    assert snaps[-1]["state"] == model.state_dict()
    # the gradients of the last backward pass (of the last of three batches) are recorded
    assert snaps[-1]["grads"] == {n: p.grad for n, p in model.named_parameters()}
    model.parameters()[0].data += 1.0
    assert snaps[-1]["state"] != model.state_dict()  # a copy, not a view of the model


def test_a_snapshot_holds_that_epochs_state_and_gradients():
    _, history, _ = train(epochs=6, snapshots=2, batch_size=10)
    shorter, _, _ = train(epochs=4, snapshots=None, batch_size=10)
    at_4 = history["snapshots"][1]
    assert at_4["epoch"] == 4
    assert at_4["state"] == shorter.state_dict()
    assert at_4["grads"] == {n: p.grad for n, p in shorter.named_parameters()}
    assert any(g != 0 for g in at_4["grads"].values())


def test_without_snapshots_the_history_is_unchanged():
    _, history, _ = train(epochs=2, snapshots=None)
    assert set(history) == {"loss", "lr", "accuracy"}


def test_the_progress_bar_shows_metrics_not_snapshots(capsys):
    model = nn.MLP(2, [2, 1], generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    history = nn.fit(model, nn.MSELoss(), opt, ([[0.0, 1.0], [1.0, 0.0]], [1.0, 0.0]),
                     epochs=2, snapshots=1, metrics={"mse": lambda p, t: 0.5}, progress=True)
    assert [s["epoch"] for s in history["snapshots"]] == [1, 2]
    bar = capsys.readouterr().err
    assert "mse=0.5" in bar and "snapshots" not in bar


def test_compiled_training_records_the_same_snapshots():
    _, plain, _ = train(compiled=False)
    _, taped, _ = train(compiled=True)
    assert [s["epoch"] for s in taped["snapshots"]] == [2, 4, 6]
    for a, b in zip(plain["snapshots"], taped["snapshots"], strict=True):
        for name, g in a["grads"].items():
            assert abs(b["grads"][name] - g) <= 1e-9 + 1e-7 * abs(g), name
        for name, v in a["state"].items():
            assert abs(b["state"][name] - v) <= 1e-9 + 1e-7 * abs(v), name


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_fit_refuses_a_bad_snapshot_interval(bad):
    model = nn.MLP(2, [2, 1], generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: snapshots must be None or a positive integer"):
        nn.fit(model, nn.MSELoss(), opt, ([[0.0, 1.0]], [1.0]), epochs=1, snapshots=bad,
               progress=False)
    assert model.parameters()[0].grad == 0.0  # refused before any step


# --------------------------------------------------------------------------- the view, in Python


def test_a_history_without_snapshots_is_refused_with_the_fix():
    model, history, data = train(epochs=2, snapshots=None)
    with pytest.raises(ValueError, match=r"nn.fit\(\.\.\., snapshots=k\)"):
        viz.training_view(history, data, model)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda a: {**a, "history": [1, 2]}, TypeError, "history must be the dict nn.fit"),
        (lambda a: {**a, "data": ([[0.0, 0.0]], [1, -1])}, ValueError, "1 samples and 2 labels"),
        (lambda a: {**a, "data": [[0.0, 0.0]]}, TypeError, "data must be"),
        (lambda a: {**a, "model": object()}, TypeError, "model must be the nn.Module"),
        (lambda a: {**a, "model": nn.MLP(2, [3, 1])}, ValueError, "does not fit the model"),
        (lambda a: {**a, "resolution": 1}, ValueError, "resolution must be an integer"),
        (lambda a: {**a, "threshold": float("nan")}, ValueError, "threshold must be None"),
        (lambda a: {**a, "id_prefix": "1-bad"}, ValueError, "id_prefix must start"),
        (lambda a: {**a, "path": 3}, TypeError, "path must be a str"),
    ],
)
def test_bad_arguments_name_the_function_and_the_value(change, error, words):
    model, history, data = train(epochs=2)
    args = change({"history": history, "data": data, "model": model})
    with pytest.raises(error, match=re.escape(words)) as info:
        viz.training_view(args.pop("history"), args.pop("data"), args.pop("model"), **args)
    assert "training_view" in str(info.value)


def test_snapshot_epochs_must_fit_the_history():
    model, history, data = train(epochs=4)
    broken = {**history, "snapshots": [{**history["snapshots"][0], "epoch": 9}]}
    with pytest.raises(ValueError, match="snapshot epochs must increase within 1 to 4"):
        viz.training_view(broken, data, model)


def test_the_users_model_is_left_as_it_was():
    model, history, data = train()
    model.parameters()[3].grad = 0.25
    state = model.state_dict()
    grads = [p.grad for p in model.parameters()]
    viz.training_view(history, data, model, resolution=4)
    assert model.state_dict() == state
    assert [p.grad for p in model.parameters()] == grads
    assert all(m.training for m in model.modules())


def test_png_encoding_round_trips_through_pillow():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    uri = "data:image/png;base64," + base64.b64encode(encode_png(pixels)).decode()
    assert np.array_equal(decode(uri), pixels)
    with pytest.raises(ValueError, match="encode_png: expected an array of shape"):
        encode_png(np.zeros((3, 3)))


def test_the_boundary_pictures_are_the_engines_scores(run):
    model, _, _, view = run
    assert view.boundary is not None and view.boundary.threshold == 0.0  # ±1 labels
    for k, frame in enumerate(view.frames):
        uri = "data:image/png;base64," + base64.b64encode(frame.png).decode()
        check_boundary_pixels(model, view, k, decode(uri))
    first, last = (decode("data:image/png;base64," + base64.b64encode(f.png).decode())
                   for f in (view.frames[0], view.frames[-1]))
    assert not np.array_equal(first, last)  # training moved the boundary


def test_the_plane_is_drawn_to_scale_with_every_point(run):
    _, _, (X, y), view = run
    root = ET.fromstring(re.search(r'<svg id="tvplane".*?</svg>', view.html(), re.DOTALL).group())
    image = root.find(f"{SVG}image")
    left, top = float(image.get("x")), float(image.get("y"))
    width, height = float(image.get("width")), float(image.get("height"))
    (x_lo, x_hi), (y_lo, y_hi) = view.boundary.x_range, view.boundary.y_range
    assert x_lo < min(p[0] for p in X) and max(p[0] for p in X) < x_hi
    assert y_lo < min(p[1] for p in X) and max(p[1] for p in X) < y_hi

    def to_px(a: float, b: float) -> tuple[float, float]:
        return (left + (a - x_lo) / (x_hi - x_lo) * width,
                top + (y_hi - b) / (y_hi - y_lo) * height)

    ticks = {"tvplanex": 0, "tvplaney": 1}
    for group in root.iter(f"{SVG}g"):
        if group.get("id") in ticks:
            labels = group.findall(f"{SVG}text")
            assert len(labels) >= 3
            for t in labels:
                v = float(t.text)
                at = float(t.get("x" if ticks[group.get("id")] == 0 else "y"))
                want = to_px(v, y_lo)[0] if ticks[group.get("id")] == 0 else to_px(x_lo, v)[1]
                assert abs(at - want) < 0.02
    circles = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "tvpoints")
    drawn = [(float(c.get("cx")), float(c.get("cy")), c.get("fill")) for c in circles]
    assert len(drawn) == len(X)
    for (cx, cy, fill), p, label in zip(drawn, X, y, strict=True):
        px, py = to_px(*p)
        assert abs(cx - px) < 0.02 and abs(cy - py) < 0.02
        assert fill == (ORANGE if label > 0 else TEAL)


def expected_neurons(grads: dict[str, float]) -> dict[str, tuple[str, float]]:
    """Per neuron of the MLP, its parameter with the largest |grad| (the first on a tie)."""
    best: dict[str, tuple[str, float]] = {}
    for name, g in grads.items():
        neuron = re.match(r"(layers\.\d+\.neurons\.\d+)\.", name).group(1)
        if neuron not in best or abs(g) > abs(best[neuron][1]):
            best[neuron] = (name, g)
    return best


def network_boxes(svg: str) -> dict[str, dict]:
    """The collapsed boxes of a network drawing: module name -> fill, dashed, text lines."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    boxes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        link = g.find(f".//{SVG}a")
        tip = link.get(f"{XLINK}title") if link is not None else ""
        if ": its largest |grad| is " not in tip:
            continue
        shape = g.find(f".//{SVG}path")
        boxes[tip.split(":")[0]] = {
            "fill": shape.get("fill"), "dashed": shape.get("stroke-dasharray") is not None,
            "text": [t.text for t in g.iter(f"{SVG}text")],
        }
    return boxes


def test_each_neuron_is_coloured_by_its_snapshot_gradient(run):
    _, history, _, view = run
    wanted = [expected_neurons(s["grads"]) for s in history["snapshots"]]
    scale = GradientScale.for_values(g for w in wanted for _, g in w.values())
    assert view.grad_scale == scale
    for frame, want in zip(view.frames, wanted, strict=True):
        boxes = network_boxes(frame.svg)
        assert set(boxes) == set(want) and len(boxes) == 9
        for neuron, (param, g) in want.items():
            box = boxes[neuron]
            assert box["text"][-1] == f"grad {param[len(neuron) + 1:]} = {fmt(g)}"
            assert box["fill"] == scale.style(g).fill
            assert box["dashed"] == (g == 0)
    assert network_boxes(view.frames[0].svg) != network_boxes(view.frames[-1].svg)


def curve_axis(root: ET.Element, group_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, pixel y) of the tick labels of one curve panel."""
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == group_id)
    texts = group.findall(f"{SVG}text")
    return (np.array([float(t.text) for t in texts]), np.array([float(t.get("y")) for t in texts]))


def read_value(root: ET.Element, group_id: str, y: float) -> float:
    """A pixel height read back as a value through the panel's tick labels (a linear axis)."""
    values, ys = curve_axis(root, group_id)
    slope = (values[-1] - values[0]) / (ys[-1] - ys[0])
    return values[0] + (y - ys[0]) * slope


def test_the_curves_and_their_markers_read_back_as_the_history(run):
    _, history, _, view = run
    root = ET.fromstring(re.search(r'<svg id="tvcurves".*?</svg>', view.html(), re.DOTALL).group())
    assert "log scale" not in ET.tostring(root, encoding="unicode")
    lines = {el.get("id"): el for el in root.iter(f"{SVG}polyline")}
    for ident, key in (("tvlossline", "loss"), ("tvlrline", "lr")):
        pairs = [tuple(map(float, p.split(","))) for p in lines[ident].get("points").split()]
        assert len(pairs) == EPOCHS
        read = [read_value(root, "tv" + ident[2:-4] + "y", yy) for _, yy in pairs]
        assert np.allclose(read, history[key], atol=1e-3 * max(map(abs, history[key])))
    dots = {el.get("id"): el for el in root.iter(f"{SVG}circle")}
    last = EPOCHS - 1
    assert abs(read_value(root, "tvlossy", float(dots["tvlossdot"].get("cy")))
               - history["loss"][last]) < 1e-3
    assert abs(read_value(root, "tvlry", float(dots["tvlrdot"].get("cy")))
               - history["lr"][last]) < 1e-5


def test_other_inputs_get_a_note_instead_of_a_boundary():
    X, y = nn.data.sine(12)
    model = nn.MLP(1, [3, 1], generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, nn.MSELoss(), opt, (X, y), epochs=3, snapshots=1, progress=False)
    view = viz.training_view(history, (X, y), model, id_prefix="sine")
    assert view.boundary is None and len(view) == 3
    page = view.html()
    assert "<image" not in page and "it is drawn for samples with two inputs" in page
    assert len(network_boxes(view.frames[0].svg)) == 4


def test_a_model_with_several_scores_gets_a_note():
    X, labels = nn.data.two_moons(10, noise=0.1, generator=0)
    model = nn.MLP(2, [3, 2], generator=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (X, labels), epochs=2, snapshots=1,
                     progress=False)
    view = viz.training_view(history, (X, labels), model)
    assert view.boundary is None and "the model returns 2 scores" in view.html()


def test_without_graphviz_the_page_says_how_to_get_the_network(monkeypatch):
    from viz.dot import Drawing, GraphvizNotFoundError

    def missing(self, *args, **kwargs):
        raise GraphvizNotFoundError("Drawing.pipe")

    monkeypatch.setattr(Drawing, "pipe", missing)
    model, history, data = train(epochs=2, snapshots=1)
    view = viz.training_view(history, data, model, resolution=4, id_prefix="nodot")
    page = view.html()
    assert all(f.svg is None for f in view.frames) and 'class="tv-snap"' not in page
    assert "<code>dot</code> is not installed" in page and "apt-get install graphviz" in page
    assert view.frames[-1].png is not None  # the rest of the page does not need Graphviz


def test_notebook_fragments_are_self_contained_with_fresh_prefixes(run):
    *_, view = run
    view = copy.copy(view)
    view.id_prefix = None
    first, second = view._repr_html_(), view._repr_html_()
    prefixes = [re.match(r'<div id="(tv[0-9a-f]{8}_)root"', f).group(1) for f in (first, second)]
    assert prefixes[0] != prefixes[1]
    assert "<html" not in first and "<script>" in first
    assert not re.search(r'(src|href)="(https?:)?//', first)  # nothing is fetched
    data = json.loads(re.search(r'<script type="application/json" id="[^"]+data">(.*?)</script>',
                                first, re.DOTALL).group(1))
    assert [f["e"] for f in data["frames"]] == [2, 4, 6]
    assert f'id="{prefixes[0]}f0_' in first and "tvTOKEN" not in first


def test_to_html_and_path_write_the_same_page(run, tmp_path):
    model, history, data, view = run
    written = view.to_html(tmp_path / "deep" / "view.html")
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    again = viz.training_view(history, data, model, resolution=16, id_prefix="tv",
                              path=tmp_path / "direct.html")
    assert (tmp_path / "direct.html").read_text(encoding="utf-8") == again.html(full_page=True)
    assert repr(view) == "TrainingView(snapshots=3, epochs=6, boundary=True)"


# --------------------------------------------------------------------------- in Chromium


def state(browser, p: str) -> dict:
    """What the page shows now: the boundary image, the markers, the readout, visible networks."""
    return browser.execute_script(
        """
        var p = arguments[0], $ = function (id) { return document.getElementById(p + id); };
        var nets = Array.from(document.querySelectorAll("#" + p + "root .tv-snap"));
        return {png: $("boundary").getAttribute("href"),
                loss: [$("lossdot").getAttribute("cx"), $("lossdot").getAttribute("cy")],
                lr: $("lrdot").getAttribute("cy"), cursor: $("cursor").getAttribute("x1"),
                readout: $("readout").textContent, count: $("count").textContent,
                netepoch: $("netepoch").textContent,
                visible: nets.filter(function (n) { return n.offsetParent !== null; })
                             .map(function (n) { return n.id.slice(p.length); })};
        """,
        p,
    )


def slide(browser, p: str, k: int) -> None:
    browser.execute_script(
        "var s = document.getElementById(arguments[0] + 'slider'); s.value = String(arguments[1]);"
        "s.dispatchEvent(new Event('input'));", p, k)


def uri(frame) -> str:
    return "data:image/png;base64," + base64.b64encode(frame.png).decode()


@needs_browser
def test_the_slider_moves_the_boundary_the_markers_and_the_network(browser, run, tmp_path):
    model, history, _, view = run
    open_page(browser, view.to_html(tmp_path / "view.html"))
    assert browser.get_log("browser") == []
    at_end = state(browser, "tv")
    assert at_end["count"] == "epoch 6 of 6 (snapshot 3 of 3)"
    assert at_end["png"] == uri(view.frames[-1]) and at_end["visible"] == ["net2"]
    assert at_end["readout"] == (f"epoch 6 of 6 · loss {history['loss'][5]:.6g} · learning rate "
                                 f"{history['lr'][5]:.6g} · accuracy {history['accuracy'][5]:.6g}")
    slide(browser, "tv", 0)
    at_start = state(browser, "tv")
    assert at_start["png"] == uri(view.frames[0]) != at_end["png"]
    check_boundary_pixels(model, view, 0, decode(at_start["png"]))  # the image the page shows
    assert at_start["loss"] != at_end["loss"] and at_start["cursor"] != at_end["cursor"]
    root = ET.fromstring(re.search(r'<svg id="tvcurves".*?</svg>', view.html(), re.DOTALL).group())
    assert abs(read_value(root, "tvlossy", float(at_start["loss"][1])) - history["loss"][1]) < 1e-3
    assert abs(read_value(root, "tvlry", float(at_start["lr"])) - history["lr"][1]) < 1e-5
    assert at_start["readout"].startswith(f"epoch 2 of 6 · loss {history['loss'][1]:.6g} ·")
    assert at_start["visible"] == ["net0"] and at_start["netepoch"] == "2"
    assert browser.find_element("id", "tvprev").get_attribute("disabled") is not None
    click(browser, "tvnext")
    assert state(browser, "tv")["png"] == uri(view.frames[1])
    from selenium.webdriver.common.keys import Keys

    browser.find_element("id", "tvroot").send_keys(Keys.ARROW_LEFT)
    assert state(browser, "tv")["count"] == "epoch 2 of 6 (snapshot 1 of 3)"


@needs_browser
def test_play_steps_through_every_snapshot_to_the_end(browser, run, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    *_, view = run
    open_page(browser, view.to_html(tmp_path / "play.html"))
    click(browser, "tvplay")  # at the last snapshot, play starts again from the first
    assert state(browser, "tv")["count"] == "epoch 2 of 6 (snapshot 1 of 3)"
    assert browser.find_element("id", "tvplay").text == "❚❚ pause"
    WebDriverWait(browser, 60).until(
        lambda b: b.find_element("id", "tvplay").text == "▶ play")
    assert state(browser, "tv")["count"] == "epoch 6 of 6 (snapshot 3 of 3)"


JUPYTER_LIKE = """<!DOCTYPE html><meta charset="utf-8"><body><div id="cells"></div>
<script id="outputs" type="application/json">%s</script>
<script>
// As JupyterLab renders trusted HTML outputs: innerHTML, then each script re-created to run.
function render(html) {
  var cell = document.createElement("div");
  cell.innerHTML = html;
  document.getElementById("cells").appendChild(cell);
  cell.querySelectorAll("script").forEach(function (old) {
    var s = document.createElement("script");
    Array.from(old.attributes).forEach(function (a) { s.setAttribute(a.name, a.value); });
    s.textContent = old.textContent;
    old.replaceWith(s);
  });
}
JSON.parse(document.getElementById("outputs").textContent).forEach(render);
</script></body>"""


@needs_browser
def test_views_saved_in_a_notebook_work_when_it_is_opened_again(browser, run, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
    *_, view = run
    first, second = copy.copy(view), copy.copy(view)
    first.id_prefix, second.id_prefix = None, None
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("view", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": v._repr_html_()})
        for v in (first, second)]))
    nbformat.write(nb, tmp_path / "saved.ipynb")
    saved = nbformat.read(tmp_path / "saved.ipynb", as_version=4)
    outputs = [o["data"]["text/html"] for o in saved.cells[0].outputs]
    # the second output's HTML is rendered twice (its script runs twice), as on a re-render
    page = tmp_path / "notebook.html"
    payload = json.dumps([*outputs, outputs[1]]).replace("</", "<\\/")
    page.write_text(JUPYTER_LIKE % payload, encoding="utf-8")
    open_page(browser, page)
    assert browser.get_log("browser") == []
    prefixes = [re.match(r'<div id="(tv[0-9a-f]{8}_)root"', html).group(1) for html in outputs]
    a, b = prefixes
    slide(browser, a, 0)
    assert state(browser, a)["count"] == "epoch 2 of 6 (snapshot 1 of 3)"
    assert state(browser, b)["count"] == "epoch 6 of 6 (snapshot 3 of 3)"
    click(browser, f"{b}prev")  # one click, one step, though the script ran twice
    assert state(browser, b)["count"] == "epoch 4 of 6 (snapshot 2 of 3)"
    assert state(browser, b)["png"] == uri(view.frames[1])
    assert state(browser, a)["count"] == "epoch 2 of 6 (snapshot 1 of 3)"


@needs_browser
def test_without_javascript_the_last_snapshot_is_shown(run, tmp_path):
    _, history, _, view = run
    path = view.to_html(tmp_path / "nojs.html")
    driver = launch(tmp_path / "profile", javascript=False)
    try:
        open_page(driver, path)
        assert not driver.find_element("id", "tvcontrols").is_displayed()
        shown = [e.get_attribute("id") for e in driver.find_elements("css selector", ".tv-snap")
                 if e.is_displayed()]
        assert shown == ["tvnet2"]
        assert driver.find_element("id", "tvboundary").get_attribute("href") == uri(
            view.frames[-1])
        assert driver.find_element("id", "tvreadout").text.startswith(
            f"epoch 6 of 6 · loss {history['loss'][5]:.6g}")
        assert driver.find_element("css selector", "#tvroot .tv-nojs").is_displayed()
    finally:
        driver.quit()
