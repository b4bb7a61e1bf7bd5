"""Every notebook runs top to bottom from a clean kernel, asserting its own results.

Notebooks are executed with nbclient on the ``python3`` kernel that ipykernel
installs into this environment (so a fresh ``make test`` needs nothing by
hand). A failed ``assert`` cell or any error fails the test. Notebooks must be
committed with their outputs stripped; that is checked too.

How long each notebook takes is measured in ``benchmarks/bench_notebooks.py``
and never checked here, since a limit on the clock fails on a busy machine for
no fault of the notebook. The per-cell timeout below only stops a hung kernel.

While a notebook runs, every figure it shows is checked against the course's
figure rules (``viz.style.check_figure``: 150 dpi, text of 14 pt or more,
labelled axes, colour bars on contours, no legend over a curve), and a
missing glyph (Chinese text without a CJK font) is recorded; a last cell
asserts that nothing was. Outputs that only echo an object's repr
(``Generator(PCG64) at 0x...``, ``[<matplotlib.lines.Line2D ...>]``) fail too.
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed")

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 13, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing"
            )


# run first, in the notebook's kernel: check each figure as IPython prints it for display
CHECK_FIGURES = """
import warnings as _warnings

from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from viz.style import check_figure as _check_figure

_figure_problems, _current_cell = [], ["?"]
_print_figure = _Canvas.print_figure


def _checked_print_figure(self, *args, **kwargs):
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        result = _print_figure(self, *args, **kwargs)
    where = _current_cell[0]
    for w in caught:
        if "Glyph" in str(w.message) and "missing" in str(w.message):
            _figure_problems.append(f"{where}: {w.message}")
        else:
            _warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if self.figure not in _checked:
        _checked.append(self.figure)
        _figure_problems.extend(f"{where}: {problem}" for problem in _check_figure(self.figure))
    return result


_checked = []
_Canvas.print_figure = _checked_print_figure
get_ipython().events.register(
    "pre_run_cell", lambda info: _current_cell.__setitem__(
        0, f"cell {info.raw_cell.strip().splitlines()[0][:60]!r}" if info.raw_cell.strip() else "?"))
"""

ASSERT_FIGURES = """
assert not _figure_problems, "figures that break the course's rules:\\n" + "\\n".join(_figure_problems)
"""

# an execute_result that is nothing but an object's repr: a cell whose last line is a call
ECHO = re.compile(r" at 0x[0-9a-f]+>|^\[?<matplotlib\.|^<Axes:|^Text\(|^Generator\(")


def _echoes(nb) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            only_text = out.get("output_type") == "execute_result" and set(data) == {"text/plain"}
            if only_text and ECHO.search(data["text/plain"]):
                found.append(f"{cell.source.splitlines()[-1]!r} prints {data['text/plain'][:60]!r}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_FIGURES))
    nb.cells.append(nbformat.v4.new_code_cell(ASSERT_FIGURES))
    env_dir = os.getcwd()
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        client.execute()
    finally:
        os.chdir(env_dir)
    assert _echoes(nb) == [], "end these cells with ';' or an assignment"
