"""The training view: a run of ``nn.fit`` scrubbed epoch by epoch, as one self-contained HTML page.

``nn.fit(..., snapshots=k)`` records the model every ``k`` epochs (its state
and the gradients of the epoch's last backward pass). ``training_view(history,
(X, y), model)`` turns that record into a page in the spirit of TensorFlow
Playground: an epoch slider (with play, previous/next and the arrow keys)
moves three pictures together.

- **Decision boundary** (a model with two inputs and one score): the score on
  a ``resolution x resolution`` grid, computed by the engine for every
  snapshot (through a tape, ``autograd.TapeCache``, or value by value when
  the model cannot be traced), shown as a PNG this module encodes itself
  (zlib and struct), with the data on top. Orange and teal mark the two
  sides, paler near the boundary, so they never read as gradients.
- **Loss and learning rate** per epoch (inline SVG) with the shown epoch marked.
- **The network**, collapsed by neuron (``viz.graph.plan``), drawn on one
  input: each neuron's box names the parameter with the largest |grad| in
  the epoch's last backward pass and is coloured by that gradient, on one
  diverging scale for every snapshot (``viz.colors``: red positive, blue
  negative, darker larger, grey and dashed when all its gradients are 0).

Everything is computed in Python when the view is made; the page only swaps
precomputed pictures and moves precomputed markers. It needs no network, no
kernel and no matplotlib; its element ids start with a prefix unique to the
rendering, so a notebook can show several views, and a saved notebook keeps
working. Without JavaScript it shows the last snapshot.
"""

from __future__ import annotations

import base64
import copy
import html
import math
import os
import secrets
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import BranchError, TapeCache, TraceError, Value, no_grad

from .colors import NEGATIVE, NONFINITE, POSITIVE, ZERO, GradientScale
from .dot import INSTALL_HINT, GraphvizNotFoundError
from .drawing import fmt
from .graph import DEFAULT_MAX_NODES, DrawnGraph, check_options, plan
from .page import Page, _graph, _json, script
from .stepper import _check_prefix

# The two sides of the boundary: PuOr's orange and BrBG's teal, far from the gradients' red/blue
ORANGE, TEAL = "#e66101", "#018571"
FAINTEST, STRONGEST = 0.15, 0.8  # how much class colour a pixel at the boundary / far from it has
MAX_RESOLUTION = 400
MAX_TOOLTIP_PARAMS = 12


@dataclass
class Frame:
    """One snapshot as the page shows it.

    ``scores[i, j]`` is the model's score at the centre of pixel ``(i, j)`` of
    the boundary picture (row 0 at the top), ``png`` that picture, and
    ``neurons`` maps each drawn neuron (module name) to the parameter with the
    largest |grad| and that gradient. ``svg`` is the network's drawing (ids
    start with the view's placeholder token), None without Graphviz.
    """

    epoch: int
    state: dict[str, float]
    grads: dict[str, float]
    scores: np.ndarray | None = None
    png: bytes | None = None
    neurons: dict[str, tuple[str, float]] = field(default_factory=dict)
    svg: str | None = None


class TrainingView(Page):
    """Snapshots of one training run, drawn; ``to_html(path)`` writes the page, Jupyter shows it."""

    def __init__(self, frames: list[Frame], losses: list[float], lrs: list[float],
                 metrics: dict[str, list[float]], title: str, boundary: Boundary | None,
                 note: str, network_note: str, grad_scale: GradientScale, token: str,
                 id_prefix: str | None = None) -> None:
        self.frames = frames
        self.losses = losses
        self.lrs = lrs
        self.metrics = metrics
        self.title = title
        self.boundary = boundary
        self.note = note
        self.network_note = network_note
        self.grad_scale = grad_scale
        self.token = token
        self.id_prefix = id_prefix

    @property
    def epochs(self) -> list[int]:
        """The epoch of each snapshot, in order."""
        return [f.epoch for f in self.frames]

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return (f"TrainingView(snapshots={len(self.frames)}, epochs={len(self.losses)}, "
                f"boundary={self.boundary is not None})")

    def html(self, full_page: bool = False) -> str:
        """The view as HTML: a fragment for a notebook, or a whole page with ``full_page``."""
        return _page(self, full_page)



@dataclass(frozen=True)
class Boundary:
    """Where the boundary picture lies: data bounds, the threshold and the colour scale.

    Pixel ``(i, j)`` of an ``n x n`` picture is centred at ``x[0] = x_lo + (j +
    0.5) * (x_hi - x_lo) / n`` and ``x[1] = y_hi - (i + 0.5) * (y_hi - y_lo) / n``.
    A score above ``threshold`` is orange (the side of the larger label), at or
    below it teal; the colour is strongest ``scale`` or more away from it.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int
    threshold: float
    scale: float
    points: np.ndarray
    labels: np.ndarray

    def centres(self) -> np.ndarray:
        """The pixel centres, one row ``(x[0], x[1])`` per pixel, row by row from the top."""
        n = self.resolution
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        xs = x_lo + (np.arange(n) + 0.5) * (x_hi - x_lo) / n
        ys = y_hi - (np.arange(n) + 0.5) * (y_hi - y_lo) / n
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


def training_view(
    history: Mapping[str, Any],
    data: tuple[Sequence, Sequence],
    model: Any,
    *,
    path: str | os.PathLike | None = None,
    resolution: int = 60,
    threshold: float | None = None,
    id_prefix: str | None = None,
) -> TrainingView:
    """The training view of ``history`` (from ``nn.fit(..., snapshots=k)``) on ``data = (X, y)``.

    ``model`` is the network that was trained (its architecture; the weights
    come from each snapshot). It is copied, never changed. The decision
    boundary is drawn when every sample has two inputs and the model returns
    one score: ``resolution`` pixels a side, spanning the data plus 10% on
    every side; ``threshold`` splits the scores into the two sides (default,
    as ``nn.accuracy``: 0 for ±1 labels, else 0.5). The network is drawn on
    the first sample. ``path`` also writes the page there. ``id_prefix``
    fixes the prefix of the page's element ids (by default a fresh random one
    each time HTML is made). Returns the view (``.to_html(path)``, shown
    inline in Jupyter).
    """
    snapshots = _check_history(history)
    X, y = _check_data(data)
    for method in ("named_parameters", "state_dict", "load_state_dict"):
        if not callable(getattr(model, method, None)):
            raise TypeError(f"training_view: model must be the nn.Module that was trained "
                            f"(with {method}()), got {type(model).__name__}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not (
            2 <= resolution <= MAX_RESOLUTION):
        raise ValueError(f"training_view: resolution must be an integer from 2 to "
                         f"{MAX_RESOLUTION}, got {resolution!r}")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(
            threshold, (int, float)) or not math.isfinite(threshold)):
        raise ValueError(f"training_view: threshold must be None or a finite number, "
                         f"got {threshold!r}")
    _check_prefix("training_view", id_prefix)
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"training_view: path must be a str or a path, got {type(path).__name__}")
    try:
        work = copy.deepcopy(model)
    except Exception as exc:  # whatever fails, the model cannot be copied
        raise TypeError(f"training_view: cannot copy the model ({type(exc).__name__}: {exc}); "
                        "it is copied so that yours is never changed") from exc
    work.eval()
    names = [name for name, _ in work.named_parameters()]
    frames = [_frame(work, names, s) for s in snapshots]

    probe = X[0]
    with no_grad():
        out = work(_as_input(probe))
    outputs = len(out) if isinstance(out, (list, tuple)) else 1
    boundary, note = None, ""
    if all(_is_pair(x) for x in X) and outputs == 1:
        boundary = _score_frames(work, frames, X, y, resolution, threshold)
    elif outputs != 1:
        note = (f"No decision boundary: the model returns {outputs} scores; it is drawn for "
                "a model with one score.")
    else:
        note = "No decision boundary: it is drawn for samples with two inputs."
    token = f"tvTOKEN{secrets.token_hex(8)}_"  # no '-': Graphviz writes it as &#45; in ids
    scale, network_note = _draw_networks(work, frames, probe, token)
    metrics = {k: [float(v) for v in history[k]] for k in history
               if k not in ("loss", "lr", "snapshots") and _is_series(history[k])}
    view = TrainingView(frames, [float(v) for v in history["loss"]],
                        [float(v) for v in history["lr"]], metrics, _title(model, history),
                        boundary, note, network_note, scale, token, id_prefix)
    if path is not None:
        view.to_html(path)
    return view


# --------------------------------------------------------------------------- checking inputs


def _check_history(history: Any) -> list[Mapping]:
    if not isinstance(history, Mapping) or "loss" not in history or "lr" not in history:
        raise TypeError("training_view: history must be the dict nn.fit returns (with 'loss', "
                        f"'lr' and 'snapshots'), got {type(history).__name__}")
    snapshots = history.get("snapshots")
    if not snapshots:
        raise ValueError("training_view: the history holds no snapshots; train with "
                         "nn.fit(..., snapshots=k) to record the model every k epochs")
    epochs = len(history["loss"])
    if len(history["lr"]) != epochs:
        raise ValueError(f"training_view: history has {epochs} losses but "
                         f"{len(history['lr'])} learning rates")
    last = 0
    for s in snapshots:
        if not isinstance(s, Mapping) or not {"epoch", "state", "grads"} <= set(s):
            raise ValueError("training_view: each snapshot must be a dict with 'epoch', 'state' "
                             f"and 'grads' (as nn.fit records them), got {s!r:.80}")
        e = s["epoch"]
        if isinstance(e, bool) or not isinstance(e, int) or not last < e <= epochs:
            raise ValueError(f"training_view: snapshot epochs must increase within 1 to "
                             f"{epochs} (the epochs in the history), got {e!r} after {last}")
        last = e
    return list(snapshots)


def _check_data(data: Any) -> tuple[list, list[float]]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"training_view: data must be (X, y), got {type(data).__name__}")
    X, y = list(data[0]), list(data[1])
    if not X or len(X) != len(y):
        raise ValueError(f"training_view: data must hold as many labels as samples, at least "
                         f"one; got {len(X)} samples and {len(y)} labels")
    labels = []
    for t in y:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise ValueError(f"training_view: labels must be finite numbers, got {t!r}")
        labels.append(float(t))
    return X, labels


def _is_pair(x: Any) -> bool:
    return (isinstance(x, (list, tuple, np.ndarray)) and len(x) == 2
            and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in x))


def _is_series(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)


def _as_input(x: Any) -> Any:
    return [float(v) for v in x] if isinstance(x, (list, tuple, np.ndarray)) else x


def _frame(work: Any, names: list[str], snapshot: Mapping) -> Frame:
    epoch = snapshot["epoch"]
    grads = snapshot["grads"]
    missing = [n for n in names if n not in grads]
    if missing:
        raise ValueError(f"training_view: the snapshot of epoch {epoch} has no gradient for "
                         f"{missing[:3]}: it was not recorded from this model")
    try:
        work.load_state_dict(snapshot["state"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"training_view: the snapshot of epoch {epoch} does not fit the "
                         f"model: {exc}") from exc
    return Frame(epoch, dict(snapshot["state"]), {n: float(grads[n]) for n in names})


def _title(model: Any, history: Mapping) -> str:
    shown = repr(model)
    shown = shown if len(shown) <= 80 else type(model).__name__
    epochs, count = len(history["loss"]), len(history["snapshots"])
    return f"{shown} · {epochs} epochs · {count} snapshots"


# --------------------------------------------------------------------------- decision boundary


def _score_frames(work: Any, frames: list[Frame], X: list, y: list[float], resolution: int,
                  threshold: float | None) -> Boundary:
    """Every frame's scores on the grid and its PNG; the boundary's geometry and colour scale."""
    points = np.array([[float(v) for v in x] for x in X])
    labels = np.array(y)
    if threshold is None:
        threshold = 0.0 if -1.0 in labels else 0.5
    ranges = []
    for k in range(2):
        lo, hi = float(points[:, k].min()), float(points[:, k].max())
        pad = 0.1 * (hi - lo) if hi > lo else 0.5
        ranges.append((lo - pad, hi + pad))
    geometry = Boundary(ranges[0], ranges[1], resolution, float(threshold), 1.0, points, labels)
    grid = geometry.centres()
    score = _scorer(work)
    for f in frames:
        work.load_state_dict(f.state)
        f.scores = score(grid).reshape(resolution, resolution)
    distances = np.concatenate([np.abs(f.scores - threshold).ravel() for f in frames])
    distances = distances[np.isfinite(distances)]
    scale = float(np.quantile(distances, 0.9)) if distances.size else 0.0
    if not scale > 0:
        scale = 1.0
    boundary = Boundary(ranges[0], ranges[1], resolution, float(threshold), scale, points,
                        labels)
    for f in frames:
        f.png = encode_png(shade(f.scores, boundary.threshold, boundary.scale))
    return boundary


def _scorer(work: Any):
    """``score(P)``: the model's score at each row of ``P`` (n, 2), by tape when it traces."""
    cache = TapeCache(lambda a, b: work([a, b]))
    traced = [True]

    def one_by_one(P: np.ndarray) -> np.ndarray:
        with no_grad():
            outs = [work([float(a), float(b)]) for a, b in P]
        return np.array([_float(o) for o in outs])

    def score(P: np.ndarray) -> np.ndarray:
        if traced[0]:
            try:
                with np.errstate(all="ignore"):
                    return np.asarray(cache.forward(P), dtype=float).reshape(-1)
            except (TraceError, BranchError):
                traced[0] = False  # the model branches or reads floats: use the scalar engine
        return one_by_one(P)

    return score


def _float(out: Any) -> float:
    if isinstance(out, (list, tuple)):
        out = out[0]
    return float(out.data if isinstance(out, Value) else out)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)


def shade(scores: np.ndarray, threshold: float, scale: float) -> np.ndarray:
    """The boundary picture's pixels (uint8 RGB): orange above ``threshold``, teal at or below.

    The colour mixes white with the side's colour, from ``FAINTEST`` at the
    threshold to ``STRONGEST`` at ``scale`` or more away from it; a score that
    is not finite is grey.
    """
    d = np.asarray(scores, dtype=float) - threshold
    with np.errstate(invalid="ignore"):
        t = np.clip(np.abs(d) / scale, 0.0, 1.0)
        alpha = (FAINTEST + (STRONGEST - FAINTEST) * t)[..., None]
        side = np.where((d > 0)[..., None], _rgb(ORANGE), _rgb(TEAL))
    rgb = 255.0 * (1.0 - alpha) + side * alpha
    rgb[~np.isfinite(d)] = 160.0
    return np.rint(rgb).astype(np.uint8)


def encode_png(rgb: np.ndarray) -> bytes:
    """A PNG file holding ``rgb`` (height x width x 3, uint8): 8-bit truecolour, no filtering."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"encode_png: expected an array of shape (height, width, 3), "
                         f"got {rgb.shape}")
    height, width = rgb.shape[:2]
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(height))  # filter type 0 per row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------- the network


def _draw_networks(work: Any, frames: list[Frame], probe: Any,
                   token: str) -> tuple[GradientScale, str]:
    """Each frame's network, collapsed by neuron and coloured on one scale for all frames."""
    options = check_options("training_view", model=work, collapse="neuron", color=None,
                            legend=False, show_grad=False, show_tangent=False,
                            max_nodes=DEFAULT_MAX_NODES)
    plans: list[DrawnGraph] = []
    for k, f in enumerate(frames):
        work.load_state_dict(f.state)
        out = work(_as_input(probe))
        roots = list(out) if isinstance(out, (list, tuple)) else [out]
        p = plan(roots, options, id_prefix=f"{token}f{k}_")
        f.neurons = _neuron_grads(p, f.grads)
        plans.append(p)
    scale = GradientScale.for_values(g for f in frames for _, g in f.neurons.values())
    for f, p in zip(frames, plans, strict=True):
        _paint(p, f.neurons, scale)
        try:
            f.svg = p.drawing.pipe(format="svg", encoding="utf-8")
        except GraphvizNotFoundError:
            f.svg = None
    shown = ", ".join(f"{v:.4g}" for v in _as_input(probe)) if isinstance(
        probe, (list, tuple, np.ndarray)) else f"{probe!r}"
    return scale, f"drawn on the first sample, x = ({shown})"


def _neuron_grads(p: DrawnGraph, grads: dict[str, float]) -> dict[str, tuple[str, float]]:
    """Per collapsed module: its parameter with the largest |grad| and that gradient (on a tie,
    the first in ``named_parameters`` order, which ``grads`` follows)."""
    groups = p.scene.groups
    module = {groups.params[v]: key for v, key in zip(p.order, p.scene.keys, strict=True)
              if isinstance(key, str) and v in groups.params}
    found: dict[str, tuple[str, float]] = {}
    for name, g in grads.items():
        key = module.get(name)
        if key is None:
            continue
        if key not in found or abs(g) > abs(found[key][1]) or (
                not math.isfinite(g) and math.isfinite(found[key][1])):
            found[key] = (name, g)
    return found


def _relative(name: str, module: str) -> str:
    return name[len(module) + 1:] if module and name.startswith(module + ".") else name


def _paint(p: DrawnGraph, neurons: dict[str, tuple[str, float]], scale: GradientScale) -> None:
    """Label and colour each collapsed module by its largest gradient (later DOT attributes win)."""
    scene = p.scene
    dot_name = {key: scene.unit[i] for i, key in enumerate(scene.keys) if isinstance(key, str)}
    for key, (param, g) in neurons.items():
        layer = scene.groups.layer_of(key)
        style = scale.style(g)
        head = html.escape(_relative(key, layer) if key != layer else key, quote=False)
        line = html.escape(f"grad {_relative(param, key)} = {fmt(g)}", quote=False)
        label = (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
                 f"<tr><td><b>{head}</b></td></tr><tr><td>{line}</td></tr></table>>")
        p.drawing.node(
            dot_name[key], label=label, fillcolor=style.fill, fontcolor=style.font,
            color=style.outline, penwidth=f"{style.penwidth:g}",
            style="rounded,filled,dashed" if style.dashed else "rounded,filled",
            tooltip=f"{key}: its largest |grad| is {param}'s, {g!r}",
        )


# --------------------------------------------------------------------------- curves (inline SVG)

CURVES_WIDTH, CURVES_LEFT, CURVES_RIGHT = 560, 84, 24
LOSS_TOP, LOSS_HEIGHT = 56, 200
LR_TOP, LR_HEIGHT = 300, 100
CURVES_HEIGHT = LR_TOP + LR_HEIGHT + 56
PLOT_SIZE, PLOT_LEFT, PLOT_TOP = 320, 76, 12  # the boundary's square plot area


@dataclass(frozen=True)
class Axis:
    """A linear (or log10) map from data ``lo..hi`` to pixels ``a..b``."""

    lo: float
    hi: float
    a: float
    b: float
    log: bool = False

    def _f(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def px(self, v: float) -> float:
        """The pixel coordinate of ``v``, rounded to 0.01 px."""
        t = (self._f(v) - self._f(self.lo)) / (self._f(self.hi) - self._f(self.lo))
        return round(self.a + t * (self.b - self.a), 2)

    def ticks(self, count: int = 5) -> list[float]:
        """Round values inside ``lo..hi`` to label: 1, 2, 2.5 or 5 times a power of ten apart
        (powers of ten on a log axis when at least two fit)."""
        if self.log:
            e_lo, e_hi = math.ceil(math.log10(self.lo)), math.floor(math.log10(self.hi))
            if e_hi > e_lo:
                step = max(1, math.ceil((e_hi - e_lo + 1) / (count + 1)))
                return [10.0 ** e for e in range(e_lo, e_hi + 1, step)]
        span = self.hi - self.lo
        raw = span / count
        mag = 10.0 ** math.floor(math.log10(raw))
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
        k = math.ceil(self.lo / step - 1e-9)
        out = []
        while k * step <= self.hi + 1e-9 * span:
            out.append(float(f"{k * step:.12g}"))
            k += 1
        return out


def _value_axis(values: list[float], a: float, b: float) -> Axis:
    """An axis for ``values`` (pixels ``a`` at the bottom to ``b`` at the top), log10 when all
    are positive and span two decades or more."""
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = min(finite), max(finite)
    if lo > 0 and hi / lo >= 100:
        pad = (math.log10(hi) - math.log10(lo)) * 0.05
        return Axis(lo / 10 ** pad, hi * 10 ** pad, a, b, log=True)
    if hi == lo:
        half = abs(lo) * 0.5 or 1.0
        return Axis(lo - half, hi + half, a, b)
    pad = (hi - lo) * 0.06
    return Axis(lo - pad, hi + pad, a, b)


def _curves(view: TrainingView, p: str) -> tuple[str, list[dict]]:
    """The loss and learning-rate panels, and per frame where the markers go."""
    n = len(view.losses)
    right = CURVES_WIDTH - CURVES_RIGHT
    ex = Axis(1.0, float(n), CURVES_LEFT, right) if n > 1 else Axis(0.5, 1.5, CURVES_LEFT, right)
    ly = _value_axis(view.losses, LOSS_TOP + LOSS_HEIGHT, LOSS_TOP)
    ry = _value_axis(view.lrs, LR_TOP + LR_HEIGHT, LR_TOP)
    epochs = range(1, n + 1)
    parts = [(f'<svg id="{p}curves" xmlns="http://www.w3.org/2000/svg" width="{CURVES_WIDTH}" '
              f'height="{CURVES_HEIGHT}" viewBox="0 0 {CURVES_WIDTH} {CURVES_HEIGHT}" '
              'font-size="14" role="img" aria-label="loss and learning rate per epoch">')]
    for axis, top, height, ident, values, title in (
            (ly, LOSS_TOP, LOSS_HEIGHT, "loss", view.losses, "loss"),
            (ry, LR_TOP, LR_HEIGHT, "lr", view.lrs, "learning rate")):
        parts.append(f'<rect x="{CURVES_LEFT}" y="{top}" width="{right - CURVES_LEFT}" '
                     f'height="{height}" fill="#fafafa" stroke="#999"/>')
        parts.append(f'<g id="{p}{ident}y" class="tv-yticks" text-anchor="end">')
        for t in axis.ticks(4 if height < 150 else 5):
            y = axis.px(t)
            parts.append(f'<line x1="{CURVES_LEFT - 5}" x2="{right}" y1="{y}" y2="{y}" '
                         'stroke="#e4e4e4"/>'
                         f'<text x="{CURVES_LEFT - 8}" y="{y}" dominant-baseline="middle">'
                         f"{t:g}</text>")
        parts.append("</g>")
        label = title + (" (log scale)" if axis.log else "")
        mid = top + height / 2
        parts.append(f'<text x="18" y="{mid}" text-anchor="middle" '
                     f'transform="rotate(-90 18 {mid})">{label}</text>')
        line = " ".join(f"{ex.px(e)},{axis.px(v)}" for e, v in zip(epochs, values, strict=True)
                        if math.isfinite(v))
        colour = "#333333" if ident == "loss" else "#7b3294"
        dash = "" if ident == "loss" else ' stroke-dasharray="6,3"'
        parts.append(f'<polyline id="{p}{ident}line" points="{line}" fill="none" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>')
    parts.append(f'<g id="{p}epochx" class="tv-xticks" text-anchor="middle">')
    bottom = LR_TOP + LR_HEIGHT
    for t in ex.ticks(6):
        if t != int(t):
            continue
        x = ex.px(t)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 5}" stroke="#999"/>'
                     f'<text x="{x}" y="{bottom + 20}">{int(t)}</text>')
    parts.append("</g>")
    parts.append(f'<text x="{(CURVES_LEFT + right) / 2}" y="{bottom + 44}" '
                 'text-anchor="middle">epoch</text>')
    last = view.frames[-1].epoch
    cx, yl, yr = ex.px(last), ly.px(view.losses[last - 1]), ry.px(view.lrs[last - 1])
    parts.append(f'<line id="{p}cursor" x1="{cx}" x2="{cx}" y1="{LOSS_TOP}" y2="{bottom}" '
                 'stroke="#e66101" stroke-width="1.5" stroke-dasharray="4,3"/>')
    parts.append(f'<circle id="{p}lossdot" cx="{cx}" cy="{yl}" r="5.5" fill="#e66101" '
                 'stroke="#ffffff" stroke-width="1.5"/>')
    parts.append(f'<circle id="{p}lrdot" cx="{cx}" cy="{yr}" r="5.5" fill="#e66101" '
                 'stroke="#ffffff" stroke-width="1.5"/>')
    parts.append(
        f'<g class="tv-key"><line x1="{CURVES_LEFT}" x2="{CURVES_LEFT + 26}" y1="16" y2="16" '
        'stroke="#333333" stroke-width="2"/>'
        f'<text x="{CURVES_LEFT + 32}" y="16" dominant-baseline="middle">loss (mean over the '
        "epoch's batches)</text>"
        f'<line x1="{CURVES_LEFT}" x2="{CURVES_LEFT + 26}" y1="38" y2="38" stroke="#7b3294" '
        'stroke-width="2" stroke-dasharray="6,3"/>'
        f'<text x="{CURVES_LEFT + 32}" y="38" dominant-baseline="middle">learning rate</text>'
        f'<circle cx="{CURVES_LEFT + 300}" cy="38" r="5.5" fill="#e66101"/>'
        f'<text x="{CURVES_LEFT + 312}" y="38" dominant-baseline="middle">epoch shown</text>'
        "</g>")
    parts.append("</svg>")
    marks = [{"x": ex.px(f.epoch), "yl": ly.px(view.losses[f.epoch - 1]),
              "yr": ry.px(view.lrs[f.epoch - 1])} for f in view.frames]
    return "".join(parts), marks


# --------------------------------------------------------------------------- the page

CSS = """
#{p}root {{ font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #222; border: 1px solid #ccc; border-radius: 6px; padding: 10px 12px; margin: 6px 0; }}
#{p}root:focus {{ outline: 2px solid #8ab4f8; }}
#{p}root .tv-controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap;
  margin: 8px 0; }}
#{p}root .tv-controls[hidden] {{ display: none; }}
#{p}root button {{ font: inherit; padding: 2px 10px; }}
#{p}root input[type=range] {{ flex: 1 1 260px; }}
#{p}root .tv-readout {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 15px;
  background: #f6f6f6; border-radius: 4px; padding: 6px 8px; }}
#{p}root .tv-panels {{ display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; }}
#{p}root h3 {{ font-size: 16px; margin: 10px 0 4px; }}
#{p}root .tv-note, #{p}root .tv-key {{ font-size: 14px; color: #444; max-width: 560px; }}
#{p}root .tv-panel .tv-key {{ max-width: 410px; }}
#{p}root .tv-bar {{ white-space: nowrap; }}
#{p}root svg text {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
  sans-serif; fill: #222; }}
#{p}root .tv-net {{ overflow: auto; max-height: 85vh; border-top: 1px solid #eee; }}
#{p}root .tv-swatch {{ display: inline-block; width: 16px; height: 16px; vertical-align: -3px;
  border: 1px solid #999; margin-right: 2px; }}
#{p}root .tv-dot {{ display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  vertical-align: -1px; border: 1px solid #fff; box-shadow: 0 0 0 1px #999; }}
#{p}root table.tv-legend td {{ padding: 1px 6px 1px 0; font-size: 14px; }}
#{p}root.tv-js .tv-nojs {{ display: none; }}
"""

SCRIPT = r"""
    var F = data.frames.length, pos = F - 1, timer = null;
    var slider = $("slider"), prev = $("prev"), next = $("next"), play = $("play");
    var image = $("boundary"), cursor = $("cursor"), lossDot = $("lossdot"), lrDot = $("lrdot");
    var nets = [];
    for (var i = 0; i < F; i++) { nets.push($("net" + i)); }
    function show(k) {
      k = Math.max(0, Math.min(F - 1, k | 0));
      var f = data.frames[k];
      if (image && f.png) { image.setAttribute("href", f.png); }
      cursor.setAttribute("x1", f.x); cursor.setAttribute("x2", f.x);
      lossDot.setAttribute("cx", f.x); lossDot.setAttribute("cy", f.yl);
      lrDot.setAttribute("cx", f.x); lrDot.setAttribute("cy", f.yr);
      $("readout").textContent = f.text;
      $("netepoch").textContent = String(f.e);
      for (var j = 0; j < F; j++) { if (nets[j]) { nets[j].hidden = j !== k; } }
      slider.value = String(k);
      $("count").textContent = "epoch " + f.e + " of " + data.epochs +
        " (snapshot " + (k + 1) + " of " + F + ")";
      prev.disabled = k === 0;
      next.disabled = k === F - 1;
      pos = k;
    }
    function stop() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      play.textContent = "\u25B6 play";
    }
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (pos === F - 1) { show(0); }
      play.textContent = "\u275A\u275A pause";
      timer = setInterval(function () {
        if (pos >= F - 1) { stop(); } else { show(pos + 1); }
      }, data.interval);
    });
    prev.addEventListener("click", function () { stop(); show(pos - 1); });
    next.addEventListener("click", function () { stop(); show(pos + 1); });
    slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
    root.addEventListener("keydown", function (e) {
      if (e.target === slider) { return; }
      if (e.key === "ArrowLeft") { stop(); show(pos - 1); e.preventDefault(); }
      if (e.key === "ArrowRight") { stop(); show(pos + 1); e.preventDefault(); }
    });
    $("controls").hidden = false;
    root.classList.add("tv-js");
    show(F - 1);
"""

PLAY_INTERVAL_MS = 400


def _readout(view: TrainingView, f: Frame) -> str:
    e, n = f.epoch, len(view.losses)
    parts = [f"epoch {e} of {n}", f"loss {view.losses[e - 1]:.6g}",
             f"learning rate {view.lrs[e - 1]:.6g}"]
    parts += [f"{name} {values[e - 1]:.6g}" for name, values in view.metrics.items()
              if len(values) == n]
    return " · ".join(parts)


def _page(view: TrainingView, full_page: bool) -> str:
    p = view.id_prefix or f"tv{secrets.token_hex(4)}_"
    curves, marks = _curves(view, p)
    frames = []
    for f, m in zip(view.frames, marks, strict=True):
        frames.append({"e": f.epoch, "png": _data_uri(f.png) if f.png else None,
                       "text": _readout(view, f), **m})
    data = {"epochs": len(view.losses), "frames": frames, "interval": PLAY_INTERVAL_MS}
    last = len(view.frames) - 1
    n = len(view.frames)
    parts = [
        f'<div id="{p}root" class="tv" tabindex="0">',
        f"<style>{CSS.format(p=p)}</style>",
        f"<div><b>Training, epoch by epoch</b> · {html.escape(view.title)}</div>",
        _controls(p, last),
        (f'<p class="tv-nojs tv-note">Showing the last of {n} snapshots (with JavaScript on, '
         "a slider moves through them).</p>"),
        f'<div class="tv-readout" id="{p}readout">{html.escape(frames[-1]["text"])}</div>',
        '<div class="tv-panels">',
        _boundary_panel(view, p, frames[-1]["png"]),
        f'<div class="tv-panel"><h3>Loss and learning rate</h3>{curves}</div>',
        "</div>",
        _network_panel(view, p),
        f'<script type="application/json" id="{p}data">{_json(data)}</script>',
        script(SCRIPT, p),
        "</div>",
    ]
    fragment = "\n".join(parts)
    if not full_page:
        return fragment
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>Training, epoch by epoch</title>\n</head>\n<body>\n"
            f"{fragment}\n</body>\n</html>\n")


def _controls(p: str, last: int) -> str:
    """Play, previous/next and the slider (hidden until the script runs)."""
    return (f'<div class="tv-controls" id="{p}controls" hidden>'
            f'<button type="button" id="{p}play">&#9654; play</button>'
            f'<button type="button" id="{p}prev">&#9664; previous</button>'
            f'<input type="range" id="{p}slider" min="0" max="{last}" value="{last}" step="1" '
            'aria-label="snapshot">'
            f'<button type="button" id="{p}next">next &#9654;</button>'
            f'<span id="{p}count"></span></div>')


def _boundary_panel(view: TrainingView, p: str, png: str | None) -> str:
    b = view.boundary
    if b is None:
        return (f'<div class="tv-panel"><h3>Decision boundary</h3>'
                f'<p class="tv-note">{html.escape(view.note)}</p></div>')
    (x_lo, x_hi), (y_lo, y_hi) = b.x_range, b.y_range
    x = Axis(x_lo, x_hi, PLOT_LEFT, PLOT_LEFT + PLOT_SIZE)
    y = Axis(y_lo, y_hi, PLOT_TOP + PLOT_SIZE, PLOT_TOP)
    width, height = PLOT_LEFT + PLOT_SIZE + 12, PLOT_TOP + PLOT_SIZE + 56
    bottom = PLOT_TOP + PLOT_SIZE
    parts = [(f'<svg id="{p}plane" xmlns="http://www.w3.org/2000/svg" width="{width}" '
              f'height="{height}" viewBox="0 0 {width} {height}" font-size="14" role="img" '
              'aria-label="decision boundary">'),
             (f'<image id="{p}boundary" x="{PLOT_LEFT}" y="{PLOT_TOP}" width="{PLOT_SIZE}" '
              f'height="{PLOT_SIZE}" preserveAspectRatio="none" style="image-rendering: '
              f'pixelated" href="{png}"/>'),
             (f'<rect x="{PLOT_LEFT}" y="{PLOT_TOP}" width="{PLOT_SIZE}" height="{PLOT_SIZE}" '
              'fill="none" stroke="#777"/>'),
             f'<g id="{p}planex" text-anchor="middle">']
    for t in x.ticks(5):
        px = x.px(t)
        parts.append(f'<line x1="{px}" x2="{px}" y1="{bottom}" y2="{bottom + 5}" stroke="#777"/>'
                     f'<text x="{px}" y="{bottom + 20}">{t:g}</text>')
    parts.append(f'</g><g id="{p}planey" text-anchor="end">')
    for t in y.ticks(5):
        py = y.px(t)
        parts.append(f'<line x1="{PLOT_LEFT - 5}" x2="{PLOT_LEFT}" y1="{py}" y2="{py}" '
                     f'stroke="#777"/><text x="{PLOT_LEFT - 8}" y="{py}" '
                     f'dominant-baseline="middle">{t:g}</text>')
    mid_x, mid_y = PLOT_LEFT + PLOT_SIZE / 2, PLOT_TOP + PLOT_SIZE / 2
    parts.append("</g>"
                 f'<text x="{mid_x}" y="{bottom + 44}" text-anchor="middle">x[0]</text>'
                 f'<text x="18" y="{mid_y}" text-anchor="middle" '
                 f'transform="rotate(-90 18 {mid_y})">x[1]</text>'
                 f'<g id="{p}points" stroke="#ffffff" stroke-width="1">')
    for (a, c), label in zip(b.points, b.labels, strict=True):
        colour = ORANGE if label > b.threshold else TEAL
        parts.append(f'<circle cx="{x.px(a)}" cy="{y.px(c)}" r="4" fill="{colour}"/>')
    parts.append("</g></svg>")
    return (f'<div class="tv-panel"><h3>Decision boundary</h3>{"".join(parts)}'
            f"{_boundary_key(b)}</div>")


def _boundary_key(b: Boundary) -> str:
    counts = {}
    for label in b.labels.tolist():
        counts[label] = counts.get(label, 0) + 1
    dots = []
    for label in sorted(counts):
        colour = ORANGE if label > b.threshold else TEAL
        dots.append(f'<span class="tv-dot" style="background:{colour}"></span> '
                    f"y = {label:g} ({counts[label]} points)")
    steps = np.linspace(-1.0, 1.0, 9)
    colours = shade(b.threshold + b.scale * steps, b.threshold, b.scale)
    bar = "".join(f'<span class="tv-swatch" style="background:#{r:02x}{g:02x}{bl:02x}"></span>'
                  for r, g, bl in colours.tolist())
    lo, hi = b.threshold - b.scale, b.threshold + b.scale
    return (f'<div class="tv-key">{" &nbsp; ".join(dots)}<br>'
            f'<span class="tv-bar">score {html.escape(fmt(lo))} or less {bar} '
            f"{html.escape(fmt(hi))} or more</span><br>"
            "Background: the model's score at the centre of each pixel; orange above "
            f"{b.threshold:g}, teal at or below, palest at the boundary.</div>")


def _network_panel(view: TrainingView, p: str) -> str:
    last = len(view.frames) - 1
    head = (f'<h3>The network at epoch <span id="{p}netepoch">{view.frames[-1].epoch}</span>, '
            "collapsed by neuron</h3>"
            f'<p class="tv-note">{html.escape(view.network_note)}. Each box is coloured by the '
            "gradient of its parameter with the largest |grad| in the epoch's last backward "
            "pass, on one scale for every epoch.</p>")
    if any(f.svg is None for f in view.frames):
        body = (f"<p><i>Graphviz's <code>dot</code> is not installed, so the network is not "
                f"drawn. {html.escape(INSTALL_HINT)}</i></p>")
        return f'<div class="tv-network">{head}{body}</div>'
    snaps = []
    for k, f in enumerate(view.frames):
        hidden = "" if k == last else " hidden"
        svg = _graph(_strip(f.svg), f"{view.token}f{k}_", f"{p}f{k}_")
        snaps.append(f'<div id="{p}net{k}" class="tv-snap"{hidden}>{svg}</div>')
    return (f'<div class="tv-network">{head}{_grad_key(view)}'
            f'<div class="tv-net">{"".join(snaps)}</div></div>')


def _strip(svg: str) -> str:
    """Graphviz's SVG without its comments (they repeat each node's name)."""
    out, start = [], 0
    while True:
        i = svg.find("<!--", start)
        if i < 0:
            out.append(svg[start:])
            return "".join(out)
        out.append(svg[start:i])
        start = svg.index("-->", i) + 3


def _grad_key(view: TrainingView) -> str:
    scale = view.grad_scale
    values = [g for f in view.frames for _, g in f.neurons.values()]
    rows = []
    for k, label in enumerate(scale.bin_labels()):
        level = 3 - k
        rows.append(f'<td><span class="tv-swatch" style="background:{POSITIVE[level]}"></span>'
                    f'<span class="tv-swatch" style="background:{NEGATIVE[level]}"></span> '
                    f"|grad| {html.escape(label)}</td>")
    if any(g == 0 for g in values):
        rows.append(f'<td><span class="tv-swatch" style="background:{ZERO};border-style:dashed">'
                    "</span> every parameter's grad exactly 0 (dashed)</td>")
    if any(not math.isfinite(g) for g in values):
        rows.append(f'<td><span class="tv-swatch" style="background:{NONFINITE}"></span> '
                    "nan or inf</td>")
    return ('<table class="tv-legend"><tr><td><b>gradient: red +, blue &#8722;</b></td>'
            f'{"".join(rows[:2])}</tr><tr><td></td>{"".join(rows[2:4])}</tr>'
            f'<tr><td></td>{"".join(rows[4:])}</tr></table>')
