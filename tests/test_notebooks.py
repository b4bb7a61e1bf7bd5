"""Every notebook runs top to bottom from a clean kernel, asserting its own results.

Notebooks are executed with nbclient on the ``python3`` kernel that ipykernel
installs into this environment (so a fresh ``make test`` needs nothing by
hand). A failed ``assert`` cell or any error fails the test. Notebooks must be
committed with their outputs stripped; that is checked too.

How long each notebook takes is measured in ``benchmarks/bench_notebooks.py``,
not asserted here: a wall-clock limit fails on a busy machine for no fault of
the notebook. The per-cell timeout below only stops a hung kernel.
"""

from __future__ import annotations

import os
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed")

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
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
