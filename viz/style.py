"""Figures a teacher can project: the course's matplotlib settings, Chinese text, and a checker.

- ``use()`` sets matplotlib's ``rcParams`` for the course: every text at least
  ``FONT_SIZE`` (14) points, titles ``TITLE_SIZE`` (16), figures at ``DPI``
  (150) on screen and when saved, and a font list that renders Chinese. Every
  notebook calls it once after its imports; ``viz.plots`` calls it (once per
  process, ``ensure()``) before its first figure, so its plots follow it too.
- ``cjk_fonts()``: the families of the installed fonts that have Chinese
  glyphs, as matplotlib knows them.
- ``legend_outside(ax)``: a legend beside or under the axes, where it hides
  no curve.
- ``check_figure(fig)``: what a figure does wrong by the course's rules (a
  list of sentences, empty when it is fine). The notebook tests run it on
  every figure every notebook shows.

Chinese labels. The course's source notes are written in Chinese, and their
plotting code sets ``font.sans-serif = ['SimHei']`` and
``axes.unicode_minus = False`` (SimHei has no U+2212 minus sign). Here the
font list is ``["DejaVu Sans", <the installed CJK fonts>]``: matplotlib
(>= 3.6) takes each glyph from the first family that has it, so Latin text,
digits and the minus sign stay in DejaVu Sans, which has U+2212 (so
``axes.unicode_minus`` stays True), and Chinese characters come from the CJK
font. Which CJK fonts are installed is asked of fontconfig (``fc-list
:lang=zh``) and of matplotlib's own list (Windows and macOS fonts such as
Microsoft YaHei or PingFang SC); a font installed after matplotlib built its
font cache is added to it. ``make`` installs one (Debian's
``fonts-wqy-microhei``, 1.6 MB) when ``fc-list :lang=zh`` finds none.
Graphviz needs nothing: its ``fontname="Helvetica"`` goes through
fontconfig, whose fallback (``fc-match -s 'Helvetica:charset=635f'``) finds
the same CJK font for characters Helvetica lacks.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import Any

FONT_SIZE = 14  # points: the smallest text a projector shows legibly at the back of a room
TITLE_SIZE = 16
DPI = 150

# the usual CJK fonts of Linux, Windows and macOS, in the order preferred when several exist
KNOWN_CJK = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Hiragino Sans GB",
    "Arial Unicode MS",
)


def _fontconfig_cjk_files() -> list[str]:
    """Paths of the fonts fontconfig lists as covering Chinese (none without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().rstrip(":") for line in out.splitlines() if line.strip()})


@functools.lru_cache(maxsize=1)
def cjk_fonts() -> tuple[str, ...]:
    """Family names of the installed fonts with Chinese glyphs, preferred first ('' none).

    Fonts fontconfig lists for ``:lang=zh`` are added to matplotlib's font
    manager (its cached list may predate them), then every family matplotlib
    knows that is one of ``KNOWN_CJK`` or came from those files is returned,
    ``KNOWN_CJK`` order first, monospaced variants last.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    files = set()
    for path in _fontconfig_cjk_files():
        known = {entry.fname for entry in manager.ttflist}
        if path not in known:
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read
                continue
        files.add(path)
    names = {entry.name for entry in manager.ttflist if entry.fname in files or entry.name in KNOWN_CJK}

    def rank(name: str) -> tuple:
        preferred = KNOWN_CJK.index(name) if name in KNOWN_CJK else len(KNOWN_CJK)
        return ("mono" in name.lower(), preferred, name)

    return tuple(sorted(names, key=rank))


def settings() -> dict[str, Any]:
    """The ``rcParams`` that ``use()`` sets."""
    families = ["DejaVu Sans", *cjk_fonts()]
    return {
        "font.family": families,
        "font.sans-serif": families,
        "axes.unicode_minus": True,  # DejaVu Sans, first in the list, has U+2212
        "font.size": FONT_SIZE,
        "axes.titlesize": TITLE_SIZE,
        "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": FONT_SIZE,
        "ytick.labelsize": FONT_SIZE,
        "legend.fontsize": FONT_SIZE,
        "legend.title_fontsize": FONT_SIZE,
        "figure.titlesize": TITLE_SIZE,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.figsize": (8.0, 5.0),
        "axes.grid": False,
    }


def use() -> None:
    """Apply the course's matplotlib settings (``settings()``) to ``matplotlib.rcParams``."""
    import matplotlib

    matplotlib.rcParams.update(settings())
    _APPLIED[0] = True


_APPLIED = [False]


def ensure() -> None:
    """``use()`` once per process: what ``viz.plots`` calls, so it never undoes a user's change."""
    if not _APPLIED[0]:
        use()


def legend_outside(ax: Any, where: str = "right", **kwargs: Any) -> Any:
    """A legend beside the axes (``where="right"``) or under them (``"below"``): it hides no curve.

    ``kwargs`` go to ``ax.legend`` (``ncol=3``, handles and labels...). A
    notebook shows the whole figure (``bbox_inches="tight"``); with
    ``savefig`` pass ``bbox_inches="tight"`` too, or the legend is cut off.
    """
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)
    if where == "below":
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), **kwargs)
    raise ValueError(f"legend_outside: where must be 'right' or 'below', got {where!r}")


# --------------------------------------------------------------------------- checking figures


def _texts(fig: Any) -> list[Any]:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.figure is not None]


def _shows_tick_labels(axis: Any) -> bool:
    if not axis.get_visible():
        return False
    return any(t.get_visible() and t.get_text().strip() for t in axis.get_ticklabels())


def _legend_hides(ax: Any, renderer: Any) -> list[str]:
    """Labels of the curves of ``ax`` that its legend box covers in part."""
    from matplotlib.transforms import Bbox

    legend = ax.get_legend()
    if legend is None or not legend.get_visible():
        return []
    box = Bbox.intersection(legend.get_window_extent(renderer).padded(-2), ax.bbox)
    if box is None:  # a legend outside the axes hides nothing (curves are clipped to the axes)
        return []
    hidden = []
    for line in ax.get_lines():
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        path = line.get_transform().transform_path(line.get_path())
        if path.intersects_bbox(box, filled=False):
            hidden.append(line.get_label())
    return hidden


def check_figure(fig: Any, min_size: float = FONT_SIZE, min_dpi: float = DPI) -> list[str]:
    """What ``fig`` does wrong by the course's figure rules; [] when nothing.

    - the figure is at least ``min_dpi`` dots per inch;
    - every text shown is at least ``min_size`` points;
    - every axis that shows tick labels has a label (a colour bar too);
    - every filled contour, image and colour-mapped scatter has a colour bar,
      and line contours of several levels have a colour bar and level labels;
    - no legend covers a curve of its axes.
    """
    from matplotlib.collections import PathCollection, QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage

    problems = []
    if fig.dpi < min_dpi:
        problems.append(f"the figure is {fig.dpi:g} dpi, below {min_dpi:g}")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    small = sorted({(round(t.get_fontsize(), 1), t.get_text()[:30]) for t in _texts(fig)
                    if t.get_fontsize() < min_size})
    for size, text in small[:5]:
        problems.append(f"text {text!r} is {size:g} pt, below {min_size:g}")
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        name = ax.get_title() or f"axes {k}"
        bar = getattr(ax, "_colorbar", None)
        if bar is not None:
            long_axis = ax.yaxis if bar.orientation == "vertical" else ax.xaxis
            if not long_axis.get_label_text().strip():
                problems.append(f"{name}: a colour bar without a label")
            continue
        for letter, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if _shows_tick_labels(axis) and not axis.get_label_text().strip():
                problems.append(f"{name}: the {letter} axis has no label")
        for artist in ax.collections + ax.images:
            coloured = isinstance(artist, (AxesImage, QuadMesh)) or (
                isinstance(artist, ContourSet) and artist.filled) or (
                isinstance(artist, PathCollection) and not isinstance(artist, ContourSet)
                and artist.get_array() is not None)
            if isinstance(artist, ContourSet) and not artist.filled and len(artist.levels) > 1:
                if getattr(artist, "colorbar", None) is None:
                    problems.append(f"{name}: contour lines without a colour bar")
                if not getattr(artist, "labelTexts", None):
                    problems.append(f"{name}: contour lines without level labels (clabel)")
            elif coloured and getattr(artist, "colorbar", None) is None:
                problems.append(f"{name}: coloured values ({type(artist).__name__}) without a "
                                "colour bar")
        hidden = _legend_hides(ax, renderer)
        if hidden:
            problems.append(f"{name}: the legend covers {', '.join(map(str, hidden[:3]))}")
    return problems


__all__ = ["DPI", "FONT_SIZE", "KNOWN_CJK", "TITLE_SIZE", "check_figure", "cjk_fonts", "ensure",
           "legend_outside", "settings", "use"]
