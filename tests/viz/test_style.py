"""Figures a teacher can project (``viz.style``): sizes, Chinese labels, and the figure checker.

- ``use()`` makes every text at least 14 pt and figures 150 dpi.
- A plot titled in Chinese, with minus signs on its ticks, draws every glyph:
  matplotlib's "Glyph ... missing" warning is an error here. With only
  DejaVu Sans (what matplotlib picks by default) the same plot does warn, so
  the test can fail.
- A graph drawn with Chinese labels renders them with a real font: its PNG
  differs from the one rendered when fontconfig is told to hide the CJK
  fonts (then pango draws hex boxes), and dot says nothing on stderr.
- ``check_figure`` finds what the course's rules forbid in a bad figure, and
  nothing in each figure ``viz.plots`` draws.
"""

from __future__ import annotations

import os
import subprocess
import warnings

import pytest

import nn
import viz
import viz.plots
from autograd import Value
from viz import style

CHINESE = "损失曲线"  # "loss curve", the title the notes give their plot
INSTALL = "install a CJK font: make does (fonts-wqy-microhei), or apt-get install fonts-wqy-microhei"


@pytest.fixture
def plt():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    saved = dict(matplotlib.rcParams)
    style.use()
    yield pyplot
    pyplot.close("all")
    matplotlib.rcParams.update(saved)


def test_use_sets_projector_sizes(plt):
    import matplotlib

    rc = matplotlib.rcParams
    for key in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                "legend.fontsize", "legend.title_fontsize"):
        assert rc[key] == 14, key
    assert rc["axes.titlesize"] == 16 and rc["figure.dpi"] == rc["savefig.dpi"] == 150
    assert rc["font.family"][0] == "DejaVu Sans" and rc["axes.unicode_minus"]


def test_a_cjk_font_is_installed_and_known_to_matplotlib(plt):
    fonts = style.cjk_fonts()
    assert fonts, INSTALL
    import matplotlib

    assert set(fonts) <= set(matplotlib.rcParams["font.family"])


def _chinese_plot(pyplot):
    fig, ax = pyplot.subplots()
    ax.plot([-3.0, -1.0, 2.0], [-0.5, -2.0, 1.0], label="训练集 train")
    ax.set(title=CHINESE, xlabel="轮次 (epoch)", ylabel="损失 −1")
    ax.legend()
    return fig


def test_chinese_labels_and_minus_signs_render_in_plots(plt, tmp_path):
    assert style.cjk_fonts(), INSTALL
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Glyph .* missing")
        fig = _chinese_plot(plt)
        fig.savefig(tmp_path / "plot.png")
        fig.savefig(tmp_path / "plot.pdf")
        # and through viz.plots, which applies the style itself
        history = {"loss": [1.0, 0.5, 0.25], "lr": [0.1, 0.1, 0.1]}
        ax = viz.plots.loss_history(history)
        ax.set_title(CHINESE)
        ax.figure.savefig(tmp_path / "history.png")
    assert (tmp_path / "plot.pdf").stat().st_size > 1000


def test_without_a_cjk_font_the_same_plot_warns(plt, tmp_path):
    import matplotlib

    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
    with pytest.warns(UserWarning, match="Glyph .* missing"):
        _chinese_plot(plt).savefig(tmp_path / "boxes.png")


def _graph_png(env=None):
    """PNG bytes of a small graph labelled in Chinese, from dot, and what dot said on stderr."""
    a, b = Value(2.0, label="权重"), Value(-3.0, label="输入")
    loss = (a * b).tanh()
    loss.label = CHINESE
    loss.backward()
    source = viz.draw_graph(loss).source
    done = subprocess.run(["dot", "-Tpng"], input=source.encode(), capture_output=True,
                          env=env, check=True)
    return done.stdout, done.stderr.decode()


def test_chinese_labels_render_in_graph_drawings(tmp_path):
    files = style._fontconfig_cjk_files()
    assert files, INSTALL
    png, stderr = _graph_png()
    assert stderr == ""  # no font warnings from dot
    # the same drawing with fontconfig told to reject every CJK font: pango draws hex boxes
    conf = tmp_path / "fonts.conf"
    rejects = "".join(f"<glob>{path}</glob>" for path in files)
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f"<selectfont><rejectfont>{rejects}</rejectfont></selectfont></fontconfig>")
    hiding = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    hidden = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, env=hiding,
                            check=True).stdout
    assert hidden.strip() == ""  # the rejection works, so the comparison means something
    boxes, _ = _graph_png(env=hiding)
    assert png != boxes


# --------------------------------------------------------------------------- check_figure


def test_check_figure_finds_what_the_rules_forbid(plt):
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, dpi=100)
    xs = np.linspace(0, 1, 50)
    ax1.plot(xs, xs, label="a line under the legend")
    ax1.legend(loc="center", fontsize=8)
    grid = np.meshgrid(xs, xs)
    ax2.contour(*grid, grid[0] ** 2 + grid[1] ** 2, levels=5)
    ax2.set_xlabel("w1")
    problems = style.check_figure(fig)
    text = "\n".join(problems)
    assert "100 dpi, below 150" in text
    assert "is 8 pt, below 14" in text
    assert "axes 0: the x axis has no label" in text and "axes 1: the y axis has no label" in text
    assert "contour lines without a colour bar" in text and "without level labels" in text
    assert "the legend covers a line under the legend" in text
    assert "axes 1: the x axis" not in text


def test_check_figure_passes_a_figure_that_follows_the_rules(plt):
    import numpy as np

    fig, ax = plt.subplots()
    xs = np.linspace(0, 1, 50)
    grid = np.meshgrid(xs, xs)
    lines = ax.contour(*grid, grid[0] ** 2 + grid[1] ** 2, levels=5)
    fig.colorbar(lines, ax=ax, label="loss")
    ax.clabel(lines)
    ax.set(xlabel="$w_1$", ylabel="$w_2$", title="a bowl")
    assert style.check_figure(fig) == []


PLOTS = {
    "loss_history": lambda: viz.plots.loss_history(
        {"loss": [1.0, 0.6, 0.4, 0.3], "lr": [0.1, 0.1, 0.05, 0.05]}),
    "decision_boundary": lambda: viz.plots.decision_boundary(
        nn.MLP(2, [4, 1], generator=0), [[0, 0], [1, 1], [0, 1], [1, 0]], [-1, -1, 1, 1], resolution=10),
    "activation": lambda: viz.plots.activation("gelu"),
    "fit_1d": lambda: viz.plots.fit_1d(nn.MLP(1, [3, 1], generator=0), [-1.0, 0.0, 1.0],
                                       lambda x: x * x),
    "loss_surface": lambda: viz.plots.loss_surface(
        lambda a, b: a * a + 3 * b * b, (-2, 2), (-2, 2), resolution=15,
        trajectories={"SGD": [(-1.8, 1.5), (-1.2, 0.3)]}),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_every_plot_of_viz_plots_follows_the_rules(plt, name):
    ax = PLOTS[name]()
    assert style.check_figure(ax.figure) == []
