"""Write the course as web pages: ``make docs`` (or ``.venv/bin/python docs/make_course.py [NAME ...]``).

Every notebook in ``notebooks/`` is run top to bottom on a fresh kernel, as the
test suite runs it, and written with its outputs as one HTML page in
``docs/course/`` (nbconvert's ``lab`` template): figures are embedded, and the
steppers' HTML and JavaScript are part of the page, so a reader follows the
course on the repository's web pages, or on a projector, with nothing
installed, and the steppers work without a kernel. Formulas are typeset by
MathJax, which the page loads from its CDN.

Each page carries ``<meta name="notebook-source-sha256" content="...">``, the
hash of its notebook's cells (their types and sources; not outputs, which are
committed stripped). ``tests/test_course_pages.py`` fails when a notebook
changed and its page was not written again. With ``NAME`` arguments only the
notebooks whose file names contain one of them are run; without, every
notebook is, and pages whose notebook is gone are removed. A notebook that
fails stops the run with its error, and leaves its old page as it was.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import pathlib
import re
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PAGES = ROOT / "docs" / "course"
HASH_META = "notebook-source-sha256"


def source_hash(nb) -> str:
    """sha256 of a notebook's cells: each cell's type and source, in order.

    ``nb`` is the notebook as nbformat reads it or as plain JSON (where a
    source may be a list of lines): both give the same hash.
    """
    def text(source) -> str:
        return source if isinstance(source, str) else "".join(source)

    cells = [[cell["cell_type"], text(cell["source"])] for cell in nb["cells"]]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def page_hash(page: str) -> str | None:
    """The notebook hash a page was written from, or None."""
    found = re.search(rf'<meta name="{HASH_META}" content="([0-9a-f]{{64}})"', page)
    return found.group(1) if found else None


def page_path(notebook: pathlib.Path) -> pathlib.Path:
    return PAGES / f"{notebook.stem}.html"


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "notebook"


def _navigation(notebook: pathlib.Path, everyone: list[pathlib.Path]) -> str:
    """Links to the previous and next pages, above and below each page."""
    k = everyone.index(notebook)
    links = []
    if k > 0:
        links.append(f'<a href="{page_path(everyone[k - 1]).name}">&larr; {everyone[k - 1].stem}</a>')
    if k + 1 < len(everyone):
        links.append(f'<a href="{page_path(everyone[k + 1]).name}">{everyone[k + 1].stem} &rarr;</a>')
    return ('<nav style="font: 16px sans-serif; margin: 12px 24px; display: flex; '
            'justify-content: space-between">' + "".join(f"<span>{a}</span>" for a in links)
            + "</nav>")


def build(notebook: pathlib.Path, everyone: list[pathlib.Path]) -> float:
    """Run ``notebook`` and write its page; returns the seconds it took."""
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    digest = source_hash(nb)
    start = time.perf_counter()
    here = os.getcwd()
    try:
        nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        os.chdir(here)
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": _title(nb)}})
    meta = (f'<meta name="{HASH_META}" content="{digest}">\n'
            f'<meta name="notebook" content="notebooks/{html.escape(notebook.name)}">\n')
    body = body.replace("<head>", "<head>\n" + meta, 1)
    nav = _navigation(notebook, everyone)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + nav, body, count=1)
    body = body.replace("</body>", nav + "\n</body>", 1)
    PAGES.mkdir(parents=True, exist_ok=True)
    target = page_path(notebook)
    partial = target.with_suffix(".html.partial")
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, target)  # a page is replaced whole, or not at all
    return time.perf_counter() - start


def main(names: list[str]) -> None:
    everyone = sorted(NOTEBOOKS.glob("*.ipynb"))
    chosen = [p for p in everyone if not names or any(n in p.stem for n in names)]
    if not chosen:
        sys.exit(f"make_course: no notebook matches {names}")
    total = 0.0
    for notebook in chosen:
        seconds = build(notebook, everyone)
        total += seconds
        print(f"{page_path(notebook).relative_to(ROOT)}  {seconds:6.1f} s", flush=True)
    if not names:
        wanted = {page_path(p) for p in everyone}
        for stale in sorted(PAGES.glob("*.html")):
            if stale not in wanted:
                stale.unlink()
                print(f"removed {stale.relative_to(ROOT)} (its notebook is gone)")
    print(f"{len(chosen)} page(s) in {total:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
