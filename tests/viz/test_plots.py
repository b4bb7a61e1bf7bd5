"""Tests for ``viz.plots``: each function on real inputs, checked by what it drew.

Lines are compared with the engine's own numbers (values, and gradients from
``autograd.grad``); the ReLU kinks of a hand-built 1-10-1 network are counted
against the units whose kink -b/w lies in range. Without matplotlib every
function raises an ImportError that names the extra to install.
"""

import math
import sys

import numpy as np
import pytest

import nn
from autograd import Value, grad, is_grad_enabled
from viz import plots


@pytest.fixture
def plt():
    """pyplot on the Agg backend; every figure is closed after the test."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    yield pyplot
    pyplot.close("all")


def _contour_sets(ax):
    from matplotlib.contour import ContourSet

    return [c for c in ax.collections if isinstance(c, ContourSet)]


def _scatters(ax):
    from matplotlib.collections import PathCollection

    return [c for c in ax.collections if type(c) is PathCollection]


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- no matplotlib

CALLS = {
    "loss_history": lambda: plots.loss_history({"loss": [1.0, 0.5], "lr": [0.1, 0.1]}),
    "decision_boundary": lambda: plots.decision_boundary(lambda p: p[0], [[0, 0], [1, 1]], [-1, 1]),
    "activation": lambda: plots.activation("tanh"),
    "fit_1d": lambda: plots.fit_1d(nn.MLP(1, [3, 1], generator=0), [0.0, 1.0], [0.0, 1.0]),
    "loss_surface": lambda: plots.loss_surface(lambda a, b: a * a + b * b, (-1, 1), (-1, 1)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_without_matplotlib_each_function_says_what_to_install(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(ImportError) as info:
        CALLS[name]()
    message = str(info.value)
    assert f"viz.plots.{name} needs matplotlib" in message
    assert "pip install 'backprop-course[notebook]'" in message


# --------------------------------------------------------------------------- loss_history


def _train(scheduler_step=None):
    X, y = nn.data.xor(signed=True)
    model = nn.MLP(2, [4, 1], generator=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=scheduler_step) if scheduler_step else None
    return nn.fit(model, nn.MSELoss(), opt, (X, y), epochs=6, scheduler=sched,
                  metrics={"accuracy": nn.accuracy}, progress=False)


def test_loss_history_draws_the_losses_and_a_varying_lr_on_a_twin_axis(plt):
    history = _train(scheduler_step=2)
    assert len(set(history["lr"])) > 1
    ax = plots.loss_history(history)
    (loss_line,) = ax.lines
    assert list(loss_line.get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(loss_line.get_ydata()) == history["loss"]
    assert len(ax.figure.axes) == 2
    twin = ax.figure.axes[-1]
    (lr_line,) = twin.lines
    assert list(lr_line.get_ydata()) == history["lr"]
    assert _legend(ax) == ["loss", "learning rate"]


def test_loss_history_with_constant_lr_has_one_axis_and_log_scale(plt):
    history = _train()
    ax = plots.loss_history(history, log=True)
    assert len(ax.figure.axes) == 1 and len(ax.lines) == 1
    assert ax.get_yscale() == "log"
    assert _legend(ax) == ["loss"]


def test_loss_history_draws_on_a_given_axes_and_rejects_bad_histories(plt):
    _, given = plt.subplots()
    assert plots.loss_history({"loss": [3.0, 2.0, 1.0]}, ax=given) is given
    with pytest.raises(ValueError, match="log=True needs positive losses"):
        plots.loss_history({"loss": [1.0, 0.0]}, log=True)
    with pytest.raises(ValueError, match="empty"):
        plots.loss_history({"loss": []})
    with pytest.raises(TypeError, match="loss_history: expected the history dict"):
        plots.loss_history([1.0, 2.0])


# --------------------------------------------------------------------------- decision_boundary

SQUARE = [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.5, 0.25]]


def _sum_model(seen=None):
    """score = x1 + x2, as a Value; records whether recording was on."""
    def model(p):
        if seen is not None:
            seen.add(is_grad_enabled())
        return Value(p[0]) + p[1]
    return model


@pytest.mark.parametrize("labels, threshold", [([-1, 1, -1, 1, 1], 0.0), ([0, 1, 0, 1, 1], 0.5)])
def test_decision_boundary_draws_scores_boundary_and_points(plt, labels, threshold):
    seen = set()
    ax = plots.decision_boundary(_sum_model(seen), SQUARE, labels, resolution=15)
    assert seen == {False}  # evaluated under no_grad()
    filled, boundary = _contour_sets(ax)
    assert filled.filled and not boundary.filled
    # the grid spans the data plus the margin: x1 + x2 runs from -3 to 3 on it
    assert filled.levels[0] <= -3.0 + 1e-12 and filled.levels[-1] >= 3.0 - 1e-12
    assert list(boundary.levels) == [threshold]
    vertices = np.concatenate([seg for seg in boundary.allsegs[0]])
    assert np.allclose(vertices.sum(axis=1), threshold)  # the line x1 + x2 = threshold
    negative, positive = _scatters(ax)
    lo = min(labels)
    assert _legend(ax) == [f"y = {lo}", "y = 1"]
    expected_neg = [p for p, c in zip(SQUARE, labels, strict=True) if c == lo]
    assert negative.get_offsets().tolist() == expected_neg
    assert positive.get_offsets().tolist() == [p for p, c in zip(SQUARE, labels, strict=True) if c == 1]


def test_decision_boundary_accepts_mlps_floats_and_one_element_lists(plt):
    X, y = nn.data.xor(signed=True)
    mlp = nn.MLP(2, [4, 1], generator=0)
    for model in (mlp, lambda p: p[0] - p[1], lambda p: [Value(p[0]) * p[1]]):
        ax = plots.decision_boundary(model, X, y, resolution=8, margin=0.25)
        assert len(_contour_sets(ax)) in (1, 2) and len(_scatters(ax)) == 2
    with pytest.raises(ValueError, match="decision_boundary: the model must return one score"):
        plots.decision_boundary(lambda p: [p[0], p[1]], X, y, resolution=4)
    with pytest.raises(ValueError, match="resolution"):
        plots.decision_boundary(mlp, X, y, resolution=1)
    with pytest.raises(ValueError, match="4 points but 3 labels"):
        plots.decision_boundary(mlp, X, y[:3], resolution=4)


def test_decision_boundary_is_deterministic(plt):
    X, y = nn.data.xor()
    images = []
    for _ in range(2):
        ax = plots.decision_boundary(nn.MLP(2, [3, 1], generator=1), X, y, resolution=10)
        ax.figure.canvas.draw()
        images.append(np.asarray(ax.figure.canvas.buffer_rgba()).copy())
    assert np.array_equal(images[0], images[1])


def test_decision_boundary_classes_and_scores_are_orange_and_teal_not_gradient_red_blue(plt):
    from matplotlib.colors import to_rgba

    from viz.colors import CLASS_NEGATIVE, CLASS_POSITIVE, NEGATIVE, POSITIVE

    ax = plots.decision_boundary(_sum_model(), SQUARE, [-1, 1, -1, 1, 1], resolution=15)
    negative, positive = _scatters(ax)
    assert tuple(negative.get_facecolors()[0]) == to_rgba(CLASS_NEGATIVE)
    assert tuple(positive.get_facecolors()[0]) == to_rgba(CLASS_POSITIVE)
    filled = _contour_sets(ax)[0]
    lowest, highest = filled.cmap(filled.norm(filled.levels[0])), filled.cmap(1.0)
    assert np.allclose(lowest, to_rgba(CLASS_NEGATIVE), atol=0.02)  # low scores: orange
    assert np.allclose(highest, to_rgba(CLASS_POSITIVE), atol=0.02)  # high scores: teal
    gradient_colours = [to_rgba(c) for c in (*POSITIVE, *NEGATIVE)]
    drawn = [tuple(c) for c in filled.get_facecolor()] + [to_rgba(CLASS_NEGATIVE),
                                                          to_rgba(CLASS_POSITIVE)]
    for colour in drawn:  # nothing in the picture is a colour that means a gradient's sign
        assert not any(np.allclose(colour[:3], g[:3], atol=0.03) for g in gradient_colours)


def test_a_negative_zero_threshold_and_label_read_as_zero(plt):
    ax = plots.decision_boundary(_sum_model(), SQUARE, [-0.0, 1, -0.0, 1, 1], resolution=6,
                                 threshold=-0.0)
    assert ax.get_title() == "decision boundary (score = 0)"
    assert _legend(ax) == ["y = 0", "y = 1"]


FONT_CALLS = {
    "loss_history": lambda: plots.loss_history(_train(scheduler_step=2)),
    "decision_boundary": lambda: plots.decision_boundary(_sum_model(), SQUARE, [-1, 1, -1, 1, 1],
                                                         resolution=6),
    "activation": lambda: plots.activation("tanh"),
    "fit_1d": lambda: plots.fit_1d(nn.MLP(1, [3, 1], generator=0), [-1.0, 0.0, 1.0], math.sin),
    "loss_surface": lambda: plots.loss_surface(lambda a, b: a * a + b * b, (-1, 1), (-1, 1),
                                               trajectories={"sgd": [(0.5, 0.5), (0.2, 0.1)]}),
}


@pytest.mark.parametrize("name", sorted(FONT_CALLS))
def test_every_text_in_a_plot_is_at_least_14_points(plt, name):
    from matplotlib.text import Text

    ax = FONT_CALLS[name]()
    ax.figure.canvas.draw()  # ticks and their labels exist once drawn
    texts = [t for t in ax.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert len(texts) >= 8  # ticks, axis labels, a title, a legend
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 14]
    assert small == []


# --------------------------------------------------------------------------- activation


def _engine(fn, xs):
    values, slopes = [], []
    for x in xs:
        v = Value(x)
        out = fn(v)
        values.append(out.data)
        slopes.append(grad(out, [v])[0])
    return values, slopes


@pytest.mark.parametrize("fn", [nn.functional.tanh, nn.functional.relu, nn.GELU(), "softplus"])
def test_activation_lines_are_the_engine_values_and_gradients(plt, fn):
    xs = [-2.0, -0.5, 0.0, 0.25, 1.0, 3.0]
    ax = plots.activation(fn, xs=xs)
    f = nn.get_activation(fn) if isinstance(fn, str) else fn
    values, slopes = _engine(f, xs)
    line, dline = ax.lines
    assert list(line.get_xdata()) == xs
    assert list(line.get_ydata()) == values
    assert list(dline.get_ydata()) == slopes
    assert line.get_linestyle() == "-" and dline.get_linestyle() == "--"  # told apart by dash
    assert dline.get_color() != line.get_color()                          # and by colour


def test_activation_conventions_names_and_options(plt):
    ax = plots.activation(nn.functional.relu, xs=[-1.0, 0.0, 1.0])
    assert list(ax.lines[1].get_ydata()) == [0.0, 0.0, 1.0]  # relu'(0) = 0, as PyTorch
    assert _legend(ax) == ["relu(x)", "relu'(x)"]
    ax = plots.activation(lambda v: v.sigmoid(), derivative=False)
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 201
    assert _legend(ax) == ["f(x)"]
    ax = plots.activation(lambda v: v.log(), xs=[-1.0, 1.0, 2.0])  # outside the domain: a gap
    ys = list(ax.lines[0].get_ydata())
    assert math.isnan(ys[0]) and ys[1:] == [0.0, math.log(2.0)]
    with pytest.raises(TypeError, match="must return a Value"):
        plots.activation(lambda v: 1.0, xs=[0.0])


# --------------------------------------------------------------------------- fit_1d

W = [1.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.0, 1.0, -0.5, 4.0]
B = [0.5, 1.0, 2.0, -9.0, -1.5, 0.0, 1.0, 2.5, -0.25, 8.0]
V = [1.0, -1.0, 0.5, 2.0, -0.5, 1.5, 3.0, -2.0, 1.0, 0.25]  # output weights, none 0


def _hand_built():
    """nn.MLP(1, [10, 1]) with the weights above: unit i bends at x = -B[i] / W[i]."""
    model = nn.MLP(1, [10, 1], generator=0)
    for neuron, w, b in zip(model.layers[0].neurons, W, B, strict=True):
        neuron.w[0].data, neuron.b.data = w, b
    out = model.layers[1].neurons[0]
    for v, weight in zip(out.w, V, strict=True):
        v.data = weight
    out.b.data = 0.1
    return model


def test_fit_1d_marks_every_kink_in_range_and_counts_pieces(plt):
    model = _hand_built()
    lo, hi = -2.0, 2.0
    expected = sorted(-b / w for w, b in zip(W, B, strict=True) if w != 0 and lo < -b / w < hi)
    # units 2, 3, 7 bend outside, unit 9 at the edge x = -2, unit 6 (w = 0) never;
    # units 0 and 8 both bend at -0.5: 5 kinks in range at 4 places
    assert len(expected) == 5
    xs = list(np.linspace(lo, hi, 41))
    ax = plots.fit_1d(model, xs, lambda x: math.sin(x))
    expected_distinct = sorted(set(expected))
    assert ax.kinks == expected_distinct
    assert ax.n_kinks == len(expected_distinct)
    assert ax.n_pieces == len(expected_distinct) + 1
    target_line, model_line = ax.lines
    grid = sorted(set(xs) | set(expected_distinct))
    assert list(model_line.get_xdata()) == grid
    assert list(model_line.get_ydata()) == [model([x]).data for x in grid]
    assert list(target_line.get_ydata()) == [math.sin(x) for x in xs]
    (marks,) = _scatters(ax)
    assert marks.get_offsets().tolist() == [[k, model([k]).data] for k in expected_distinct]


def test_fit_1d_line_is_linear_between_kinks(plt):
    model = _hand_built()
    # unit 9 (w=4, b=8) bends at -2: move it inside so all kinks are distinct
    model.layers[0].neurons[9].b.data = 1.0
    ax = plots.fit_1d(model, np.linspace(-2.0, 2.0, 50), lambda x: 0.0)  # no kink on the grid
    xs, ys = (np.asarray(a, dtype=float) for a in ax.lines[1].get_data())
    slopes = np.diff(ys) / np.diff(xs)
    changes = xs[1:-1][~np.isclose(slopes[1:], slopes[:-1], rtol=0, atol=1e-9)]
    assert changes.tolist() == ax.kinks  # the slope changes exactly at the marked kinks
    assert ax.kinks == [-1.5, -0.5, -0.25, 0.0, 0.5]


def test_fit_1d_with_data_targets_deeper_nets_and_non_relu_models(plt):
    xs = [-1.0, 0.0, 1.0, 2.0]
    ax = plots.fit_1d(_hand_built(), xs, [1.0, 0.0, 1.0, 4.0], kinks=False)
    assert ax.kinks == [] and ax.n_pieces is None and len(ax.lines) == 1
    (data,) = _scatters(ax)
    assert data.get_offsets().tolist() == [[-1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [2.0, 4.0]]
    deep = nn.MLP(1, [4, 4, 1], generator=3)
    for neuron, w, b in zip(deep.layers[0].neurons, [1, 1, -1, 1], [0.5, -0.5, 0.25, 3.0], strict=True):
        neuron.w[0].data, neuron.b.data = w, b
    ax = plots.fit_1d(deep, xs, [0.0] * 4)
    assert ax.kinks == [-0.5, 0.25, 0.5]
    assert ax.n_pieces is None  # later layers bend it too, elsewhere: no count
    ax = plots.fit_1d(nn.MLP(1, [4, 1], activation="tanh", generator=0), xs, [0.0] * 4)
    assert ax.kinks == [] and ax.n_pieces is None
    seq = nn.Sequential(nn.Linear(1, 3, generator=0), nn.ReLU(), nn.Linear(3, 1, generator=0))
    ax = plots.fit_1d(seq, [-5.0, 5.0], lambda x: x)
    first = seq[0]
    assert ax.kinks == sorted(-b.data / row[0].data for row, b in zip(first.weight, first.bias, strict=True)
                              if -5 < -b.data / row[0].data < 5)
    with pytest.raises(ValueError, match="fit_1d: 4 points but 2 targets"):
        plots.fit_1d(deep, xs, [0.0, 1.0])


# --------------------------------------------------------------------------- loss_surface


def _bowl(w1, w2):
    return (w1 - 1.0) ** 2 + 3.0 * (w2 + 0.5) ** 2


def _trajectory(optimizer_class, steps=8, **kwargs):
    w1, w2 = Value(-1.5), Value(1.5)
    opt = optimizer_class([w1, w2], **kwargs)
    path = [(w1.data, w2.data)]
    for _ in range(steps):
        opt.zero_grad()
        _bowl(w1, w2).backward()
        opt.step()
        path.append((w1.data, w2.data))
    return path


def test_loss_surface_draws_contours_and_optimizer_trajectories(plt):
    paths = {"SGD": _trajectory(nn.optim.SGD, lr=0.1), "Adam": _trajectory(nn.optim.Adam, lr=0.3)}
    ax = plots.loss_surface(_bowl, (-2, 2), (-1.5, 2), trajectories=paths, levels=12,
                            resolution=25)
    (contours,) = _contour_sets(ax)
    assert not contours.filled and 1 < len(contours.levels) <= 13
    assert len(ax.lines) == 2
    for line, (name, path) in zip(ax.lines, paths.items(), strict=True):
        assert line.get_label() == name and line.get_marker() == "o"
        assert list(zip(line.get_xdata(), line.get_ydata(), strict=True)) == path
    assert _legend(ax) == ["SGD", "Adam"]
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.5, 2.0)


def test_loss_surface_floats_gaps_and_bad_arguments(plt):
    ax = plots.loss_surface(lambda a, b: a.log() + b * b, (-1, 1), (-1, 1), resolution=10)
    assert len(_contour_sets(ax)) == 1 and ax.get_legend() is None
    plots.loss_surface(lambda a, b: a.data ** 2 + b.data ** 2, (-1, 1), (-1, 1), resolution=5)
    with pytest.raises(ValueError, match="xlim must be finite with low < high"):
        plots.loss_surface(_bowl, (1, -1), (-1, 1))
    with pytest.raises(ValueError, match="trajectory 'x' must be a list of"):
        plots.loss_surface(_bowl, (-1, 1), (-1, 1), trajectories={"x": [1, 2]}, resolution=4)
    with pytest.raises(ValueError, match="could not be evaluated anywhere"):
        plots.loss_surface(lambda a, b: (a - 5).log(), (-1, 1), (-1, 1), resolution=4)
