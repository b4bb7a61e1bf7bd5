"""Notebook timings: how long each notebook takes to run top to bottom from a clean kernel.

The test suite runs every notebook and checks its asserts, but never times
them (a wall-clock limit fails on a busy machine through no fault of the
notebook). This reports the times instead, one line per notebook, slowest
last, so a notebook that grows slow is seen here.

Run: make bench (or .venv/bin/python benchmarks/bench_notebooks.py [NAME ...])
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

try:
    import nbclient
    import nbformat
except ImportError:  # pragma: no cover - the notebook extra installs them
    sys.exit("nbclient/nbformat are not installed: run `make bench`")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def run(path: pathlib.Path) -> float:
    """Seconds to execute ``path`` on a fresh ``python3`` kernel."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    here = os.getcwd()
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        os.chdir(here)
    return time.perf_counter() - start


def main(names: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(n in p.stem for n in names)]
    times = [(run(p), p.stem) for p in paths]
    print(f"{'notebook':<45} {'seconds':>8}")
    for seconds, stem in sorted(times):
        print(f"{stem:<45} {seconds:8.1f}")
    print(f"{'total':<45} {sum(t for t, _ in times):8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
