"""Plots for the course, drawn with matplotlib: loss curves, decision boundaries, activations, fits.

- ``loss_history(history)``: the loss per epoch from ``nn.fit``, with the
  learning rate on a second y axis when a scheduler changed it.
- ``decision_boundary(model, X, y)``: a 2-input classifier's score on a grid
  (filled contours) with the boundary score = threshold, and the points.
- ``activation(fn)``: an activation f(x) and its derivative f'(x), the
  derivative computed by the engine (``autograd.grad``, one call per point).
- ``fit_1d(model, xs, target)``: a 1-input model against its target. A ReLU
  unit relu(w x + b) bends at x = -b / w, so a one-hidden-layer ReLU net
  ``nn.MLP(1, [h, 1])`` is piecewise linear with at most h kinks: they are
  marked, counted, and the curve is drawn through them exactly.
- ``loss_surface(f, xlim, ylim)``: contours of a loss of two parameters,
  with optimizer trajectories drawn on top.

matplotlib is an optional extra (``pip install 'backprop-course[notebook]'``);
it is imported inside each function, so ``import viz`` works without it.
Without a display (a headless Linux machine, outside Jupyter) the
non-interactive Agg backend is used. Every function takes ``ax=`` (an
Axes to draw on; a new figure otherwise) and returns the Axes it drew on.
Nothing is random: the same inputs give the same drawing. Every text is at
least ``FONT_SIZE`` points. Colours follow ``viz.colors``: red and blue
only ever mean the sign of a gradient, so a classifier's two classes and its
score are orange and teal.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import OpError, Value, grad, no_grad

from .colors import CLASS_NEGATIVE, CLASS_POSITIVE, SCORE_SCALE

INSTALL_HINT = "pip install 'backprop-course[notebook]'"
FONT_SIZE = 14  # points: tick labels, axis labels, legends; titles are larger
TITLE_SIZE = 16


def _pyplot(fn: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError naming ``fn`` and the extra to install."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"viz.plots.{fn} needs matplotlib: {INSTALL_HINT}") from exc
    if _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .style import ensure

    ensure()  # the course's fonts (14 pt, Chinese glyphs) and 150 dpi, once per process
    return plt


def _headless() -> bool:
    """True when no backend was chosen and there is no screen to draw on (so use Agg)."""
    if "matplotlib.pyplot" in sys.modules or os.environ.get("MPLBACKEND"):
        return False  # a backend is already chosen: Jupyter's inline one, or the user's
    if "ipykernel" in sys.modules:
        return False
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _axes(plt: Any, ax: Any) -> Any:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _readable(*axes: Any) -> None:
    """Set every text of ``axes`` (ticks, labels, offsets, legend, title) to at least 14 pt."""
    for ax in axes:
        ax.title.set_fontsize(TITLE_SIZE)
        ax.tick_params(labelsize=FONT_SIZE)
        for axis in (ax.xaxis, ax.yaxis):
            axis.label.set_fontsize(FONT_SIZE)
            axis.get_offset_text().set_fontsize(FONT_SIZE)
        legend = ax.get_legend()
        if legend is not None:
            for text in [*legend.get_texts(), legend.get_title()]:
                text.set_fontsize(FONT_SIZE)


def _number(x: Any, fn: str, what: str) -> float:
    """``x`` (a number or a Value) as a float, or a TypeError naming ``fn`` and ``what``."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{fn}: {what} must be a number or a Value, got {type(x).__name__} {x!r}")


def _score(out: Any, fn: str) -> float:
    """A model's output as one float: a Value, a number, or a list of exactly one of them."""
    if isinstance(out, (list, tuple)):
        if len(out) != 1:
            raise ValueError(f"{fn}: the model must return one score, got {len(out)} outputs")
        out = out[0]
    return _number(out, fn, "the model's output")


def _range(lim: Any, fn: str, name: str) -> tuple[float, float]:
    try:
        lo, hi = (_number(v, fn, name) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: {name} must be a pair (low, high), got {lim!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{fn}: {name} must be finite with low < high, got {lim!r}")
    return lo, hi


# --------------------------------------------------------------------------- loss curves


def loss_history(history: Mapping[str, Sequence[float]], ax: Any = None, log: bool = False) -> Any:
    """The training loss per epoch (epochs 1, 2, ...), and the learning rate if it varies.

    ``history`` is what ``nn.fit`` returns: ``history['loss']`` is drawn as
    one line; when ``history['lr']`` takes more than one value, it is drawn
    dashed on a second y axis sharing the epochs (``ax.figure.axes[-1]``),
    and one legend lists both. ``log=True`` puts the loss on a log scale
    (all losses must then be positive). Returns the loss Axes.
    """
    if not isinstance(history, Mapping) or "loss" not in history:
        raise TypeError("loss_history: expected the history dict from nn.fit, with a 'loss' list")
    plt = _pyplot("loss_history")
    losses = [_number(v, "loss_history", "a loss") for v in history["loss"]]
    if not losses:
        raise ValueError("loss_history: history['loss'] is empty; train for at least one epoch")
    if log and min(losses) <= 0:
        raise ValueError(f"loss_history: log=True needs positive losses, got {min(losses)!r}")
    ax = _axes(plt, ax)
    epochs = list(range(1, len(losses) + 1))
    lines = ax.plot(epochs, losses, color="C0", marker="o" if len(losses) <= 30 else None,
                    markersize=3, label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    lrs = [_number(v, "loss_history", "a learning rate") for v in history.get("lr", [])]
    if len(set(lrs)) > 1:
        if len(lrs) != len(losses):
            raise ValueError(
                f"loss_history: {len(losses)} losses but {len(lrs)} learning rates"
            )
        twin = ax.twinx()
        lines += twin.plot(epochs, lrs, color="C1", linestyle="--", label="learning rate")
        twin.set_ylabel("learning rate")
        _readable(twin)
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right")
    ax.set_title("training loss")
    _readable(ax)
    return ax


# --------------------------------------------------------------------------- classifiers


def _points(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = [[_number(v, "decision_boundary", "a coordinate") for v in x] for x in X]
    labels = [_number(v, "decision_boundary", "a label") for v in y]
    if not pts or any(len(p) != 2 for p in pts):
        raise ValueError("decision_boundary: X must be a non-empty list of 2-number points")
    if len(labels) != len(pts):
        raise ValueError(f"decision_boundary: {len(pts)} points but {len(labels)} labels")
    return np.asarray(pts, dtype=float), np.asarray(labels, dtype=float)


def decision_boundary(
    model: Callable[[list[float]], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    ax: Any = None,
    resolution: int = 100,
    margin: float = 0.5,
    threshold: float | None = None,
) -> Any:
    """A 2-input classifier's score over the plane, its decision boundary, and the points.

    ``model([x1, x2])`` must return one score (a Value, a number, or a list
    of one). It is evaluated under ``autograd.no_grad()`` at
    ``resolution x resolution`` grid points spanning the data plus
    ``margin`` on every side, and drawn as filled contours (orange below the
    threshold, teal above: red and blue are kept for gradients), with the
    boundary score = ``threshold`` as a black
    line (when the score crosses it). The threshold defaults to 0 for ±1
    labels (a margin classifier) and 0.5 for 0/1 labels (a probability, as
    ``nn.accuracy``); pass ``threshold=0.0`` for a 0/1 model that outputs
    logits. The points are drawn one scatter per label, in increasing label
    order, so the legend reads "y = -1", "y = 1" (or "y = 0", "y = 1").
    Returns the Axes.
    """
    plt = _pyplot("decision_boundary")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an integer >= 2, got {resolution!r}")
    margin = _number(margin, "decision_boundary", "margin")
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"decision_boundary: margin must be finite and >= 0, got {margin!r}")
    pts, labels = _points(X, y)
    classes = sorted(set(labels.tolist()))
    if threshold is None:
        threshold = 0.0 if -1.0 in classes else 0.5
    threshold = _number(threshold, "decision_boundary", "threshold")
    ax = _axes(plt, ax)

    xs = np.linspace(pts[:, 0].min() - margin, pts[:, 0].max() + margin, resolution)
    ys = np.linspace(pts[:, 1].min() - margin, pts[:, 1].max() + margin, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores = np.empty_like(grid_x)
    with no_grad():
        for i in range(resolution):
            for j in range(resolution):
                point = [float(grid_x[i, j]), float(grid_y[i, j])]
                scores[i, j] = _score(model(point), "decision_boundary")

    from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm

    lo, hi = float(scores.min()), float(scores.max())
    norm = TwoSlopeNorm(threshold, lo, hi) if lo < threshold < hi else None
    cmap = LinearSegmentedColormap.from_list("orange_teal", SCORE_SCALE)
    filled = ax.contourf(grid_x, grid_y, scores, levels=20, cmap=cmap, norm=norm, alpha=0.8)
    if lo < threshold < hi:
        ax.contour(grid_x, grid_y, scores, levels=[threshold], colors="k", linewidths=1.5)
    bar = ax.figure.colorbar(filled, ax=ax, label="model score")
    for c in classes:
        mine = labels == c
        colour = CLASS_POSITIVE if c > threshold else CLASS_NEGATIVE
        if len(classes) > 2:
            colour = None
        ax.scatter(pts[mine, 0], pts[mine, 1], c=colour, edgecolors="k", s=20,
                   label=f"y = {c + 0.0:g}")  # + 0.0: a label -0.0 reads as 0
    ax.legend(loc="upper right")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"decision boundary (score = {threshold + 0.0:g})")
    _readable(ax, bar.ax)
    return ax


# --------------------------------------------------------------------------- activations


def _fn_name(fn: Any) -> str:
    name = getattr(fn, "__name__", None)
    if name is None or name == "<lambda>":
        name = type(fn).__name__ if name is None else "f"
    return name


def _activation_fn(fn: Any) -> Callable[[Value], Any]:
    if isinstance(fn, str):
        from nn.activations import get_activation

        return get_activation(fn)
    if not callable(fn):
        raise TypeError(
            f"activation: fn must be a function of one Value or an activation name, "
            f"got {type(fn).__name__}"
        )
    return fn


def activation(
    fn: Callable[[Value], Any] | str,
    xs: Sequence[float] | None = None,
    ax: Any = None,
    derivative: bool = True,
) -> Any:
    """An activation f(x) (solid line) and, with ``derivative=True``, f'(x) (dashed, another colour).

    ``fn`` maps a ``Value`` to a ``Value`` (``nn.functional.tanh``,
    ``nn.ReLU()``, ``lambda v: v.sigmoid()``) or is a name from
    ``nn.ACTIVATIONS`` (``"gelu"``). ``xs`` defaults to 201 points evenly
    spaced on [-4, 4]. At each x, f'(x) = ``autograd.grad(fn(Value(x)), x)``:
    one reverse sweep per point, so the kinks follow the engine's conventions
    (relu'(0) = 0). A point where the engine raises an ``ArithmeticError``
    (outside the function's domain) is left as a gap. The lines' data are
    exactly these numbers. Returns the Axes.
    """
    plt = _pyplot("activation")
    f = _activation_fn(fn)
    name = fn if isinstance(fn, str) else _fn_name(fn)
    if xs is None:
        xs = np.linspace(-4.0, 4.0, 201)
    points = [_number(x, "activation", "a point of xs") for x in xs]
    if not points:
        raise ValueError("activation: xs is empty")
    values, slopes = [], []
    for x in points:
        leaf = Value(x)
        try:
            out = f(leaf)
        except OpError:
            values.append(math.nan)
            slopes.append(math.nan)
            continue
        if not isinstance(out, Value):
            raise TypeError(f"activation: {name} must return a Value, got {type(out).__name__}")
        values.append(out.data)
        if derivative:
            try:
                (slope,) = grad(out, [leaf])
            except OpError:
                slope = math.nan
            slopes.append(slope)
    ax = _axes(plt, ax)
    ax.plot(points, values, color="C0", label=f"{name}(x)")
    if derivative:  # another colour and another dash: told apart in grey print and by colour-blind eyes
        ax.plot(points, slopes, color="C1", linestyle="--", label=f"{name}'(x)")
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("x")
    ax.set_ylabel(f"{name}(x), {name}'(x)" if derivative else f"{name}(x)")
    ax.set_title(name)
    ax.legend(loc="best")
    _readable(ax)
    return ax


# --------------------------------------------------------------------------- 1-D fits


def _relu_units(model: Any) -> tuple[list[tuple[float, float]], bool] | None:
    """The (w, b) of each unit of the model's first layer, if it is relu(w x + b) on one input.

    Returns the units and whether the rest of the model is one linear layer
    (then the kinks are all the kinks), or None for any other model.
    """
    from nn.activations import LeakyReLU, ReLU
    from nn.layers import MLP, Linear, Sequential

    if isinstance(model, MLP):
        neurons = model.layers[0].neurons
        if len(neurons[0].w) != 1 or len(model.layers) < 2:
            return None
        if not all(isinstance(n.act, (ReLU, LeakyReLU)) for n in neurons):
            return None
        units = [(n.w[0].data, n.b.data) for n in neurons]
        return units, len(model.layers) == 2
    if isinstance(model, Sequential) and len(model) >= 3:
        first, act = model[0], model[1]
        if not (isinstance(first, Linear) and first.in_features == 1
                and isinstance(act, (ReLU, LeakyReLU))):
            return None
        biases = first.bias if first.bias is not None else [0.0] * first.out_features
        units = [(row[0].data, _number(b, "fit_1d", "a bias")) for row, b in zip(first.weight, biases, strict=True)]
        return units, len(model) == 3 and isinstance(model[2], Linear)
    return None


def kinks_of(model: Any, lo: float, hi: float) -> list[float] | None:
    """The kinks x = -b / w (w != 0) of a first layer of ReLU units that lie in (lo, hi), sorted.

    A unit relu(w x + b) switches on or off where w x + b = 0. Units with
    w = 0 never switch; coinciding kinks are listed once. None if the model
    does not start with ReLU units on one input (see ``fit_1d``).
    """
    found = _relu_units(model)
    if found is None:
        return None
    # + 0.0 turns the -0.0 of a zero bias into 0.0
    return sorted({-b / w + 0.0 for w, b in found[0] if w != 0 and lo < -b / w < hi})


def fit_1d(
    model: Callable[[list[float]], Any],
    xs: Sequence[float],
    target: Callable[[float], Any] | Sequence[float],
    ax: Any = None,
    kinks: bool = True,
) -> Any:
    """A model of one input (solid line) against its target, with its ReLU kinks marked.

    ``model([x])`` returns one score (Value, number or list of one), evaluated
    under ``no_grad()``. ``target`` is a function of x (drawn as a dashed
    line at the same points) or one number per x (drawn as points: data).
    The model is drawn at the sorted ``xs``; with ``kinks=True`` and a model
    whose first layer is ReLU (or leaky ReLU) units on its one input
    (``nn.MLP(1, [h, 1])``, or ``Sequential(Linear(1, h), ReLU(), Linear(h, 1))``),
    every kink x = -b / w strictly inside (min xs, max xs) is added to the
    points, so the line bends exactly there, and marked with a hollow circle
    on the curve (one scatter).

    Returns the Axes, with three attributes set:

    - ``ax.kinks``: the kinks' x positions, sorted (``[]`` with
      ``kinks=False`` or a model without ReLU units first);
    - ``ax.n_kinks``: ``len(ax.kinks)``;
    - ``ax.n_pieces``: for ``MLP(1, [h, 1])`` (one hidden ReLU layer, linear
      output), the number of intervals the kinks cut the x range into,
      ``n_kinks + 1``: the model is linear on each (neighbours have different
      slopes unless a unit's output weight is 0). None otherwise: deeper
      layers bend the line at places not marked.
    """
    plt = _pyplot("fit_1d")
    raw = [_number(x, "fit_1d", "a point of xs") for x in xs]
    points = sorted(raw)
    if len(points) < 2:
        raise ValueError(f"fit_1d: xs needs at least 2 points, got {len(points)}")
    lo, hi = points[0], points[-1]
    found = _relu_units(model) if kinks else None
    bends = kinks_of(model, lo, hi) if found is not None else []
    grid = sorted(set(points) | set(bends))
    with no_grad():
        fitted = [_score(model([x]), "fit_1d") for x in grid]
        at_kink = [_score(model([x]), "fit_1d") for x in bends]
        if callable(target):
            wanted = [_number(target(x), "fit_1d", "target(x)") for x in points]
        else:
            wanted = [_number(t, "fit_1d", "a target") for t in target]
            if len(wanted) != len(raw):
                raise ValueError(f"fit_1d: {len(raw)} points but {len(wanted)} targets")
    ax = _axes(plt, ax)
    if callable(target):
        ax.plot(points, wanted, color="0.4", linestyle="--", label="target")
    else:
        ax.scatter(raw, wanted, color="0.4", s=12, label="target")
    ax.plot(grid, fitted, color="C0", label="model")
    if bends:
        ax.scatter(bends, at_kink, facecolors="none", edgecolors="k", s=40, zorder=3,
                   label=f"kinks ({len(bends)})")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="best")
    ax.kinks = list(bends)
    ax.n_kinks = len(bends)
    ax.n_pieces = len(bends) + 1 if found is not None and found[1] else None
    if ax.n_pieces is not None:
        kink_s = "kink" if len(bends) == 1 else "kinks"
        ax.set_title(f"{len(bends)} {kink_s}, {ax.n_pieces} linear pieces")
    _readable(ax)
    return ax


# --------------------------------------------------------------------------- loss surfaces


def loss_surface(
    f: Callable[[Value, Value], Any],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ax: Any = None,
    trajectories: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    levels: int | Sequence[float] = 30,
    resolution: int = 60,
) -> Any:
    """Contours of a loss L(w1, w2) over ``xlim x ylim``, with optimizer paths drawn on them.

    ``f(w1, w2)`` receives two ``Value`` s (under ``no_grad()``) and returns a
    ``Value`` or a number; it is evaluated at ``resolution x resolution``
    grid points (a point where the engine raises is left blank) and drawn as
    ``levels`` contour lines, with a colour bar and every other level's value
    written on its line. ``trajectories`` maps a name to the list of
    (w1, w2) an optimizer visited; each is drawn, in the mapping's order, as
    one line with a marker at every step, and the legend lists the names.
    Returns the Axes.
    """
    plt = _pyplot("loss_surface")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"loss_surface: resolution must be an integer >= 2, got {resolution!r}")
    x0, x1 = _range(xlim, "loss_surface", "xlim")
    y0, y1 = _range(ylim, "loss_surface", "ylim")
    paths = []
    for name, path in (trajectories or {}).items():
        try:
            pts = [(_number(a, "loss_surface", "w1"), _number(b, "loss_surface", "w2"))
                   for a, b in path]
        except (TypeError, ValueError):
            raise ValueError(
                f"loss_surface: trajectory {name!r} must be a list of (w1, w2) pairs"
            ) from None
        if not pts:
            raise ValueError(f"loss_surface: trajectory {name!r} is empty")
        paths.append((str(name), pts))
    w1s, w2s = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid_1, grid_2 = np.meshgrid(w1s, w2s)
    surface = np.full_like(grid_1, math.nan)
    with no_grad():
        for i in range(resolution):
            for j in range(resolution):
                try:
                    out = f(Value(float(grid_1[i, j])), Value(float(grid_2[i, j])))
                except OpError:
                    continue
                surface[i, j] = _number(out, "loss_surface", "f(w1, w2)")
    if np.isnan(surface).all():
        raise ValueError("loss_surface: f could not be evaluated anywhere on the grid")
    ax = _axes(plt, ax)
    lines = ax.contour(grid_1, grid_2, surface, levels=levels, cmap="viridis", linewidths=0.8)
    # which way is down: a colour bar, and each level's value written on every other line
    ax.figure.colorbar(lines, ax=ax, label="loss", format="%.3g")
    ax.clabel(lines, lines.levels[::2], fontsize=FONT_SIZE, fmt="%.3g")
    for k, (name, pts) in enumerate(paths):
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=f"C{k % 10}", marker="o",
                markersize=3, linewidth=1.2, label=name)
    if paths:
        ax.legend(loc="upper right")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title("loss surface")
    _readable(ax)
    return ax


__all__ = [
    "INSTALL_HINT",
    "activation",
    "decision_boundary",
    "fit_1d",
    "kinks_of",
    "loss_history",
    "loss_surface",
]
