"""The course as web pages (``docs/course/``, written by ``make docs``): current, complete, working.

- Every notebook has its page, and the page was written from the notebook as
  it is now: the page stores the hash of the notebook's cells
  (``docs/make_course.py``), so editing a notebook without running
  ``make docs`` fails here. No page is left over from a notebook that is gone.
- A page shows what its notebook computed: outputs, figures embedded (no
  image fetched from elsewhere), no error.
- The stepper of notebook 1 still steps in its page, in a browser, with no
  kernel behind it.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest
from browser import click, needs_browser, open_page

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("make_course", ROOT / "docs" / "make_course.py")
make_course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_course)

STALE = "run `make docs` (or `make docs NOTEBOOKS=<name>`) and commit docs/course/"


def _page(notebook: pathlib.Path) -> str:
    path = make_course.page_path(notebook)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: {STALE}"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_page_was_written_from_its_notebook_as_it_is_now(notebook):
    import json

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert make_course.page_hash(_page(notebook)) == make_course.source_hash(nb), (
        f"{notebook.name} changed since its page was written: {STALE}")


def test_the_hash_sees_an_edit():
    import json

    nb = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    before = make_course.source_hash(nb)
    nb["cells"][-1]["source"] = nb["cells"][-1]["source"] + [" "]
    assert make_course.source_hash(nb) != before


def test_no_page_without_a_notebook():
    pages = sorted(p.name for p in make_course.PAGES.glob("*.html"))
    assert pages == sorted(make_course.page_path(p).name for p in NOTEBOOKS), STALE


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_page_shows_the_outputs_and_no_error(notebook):
    page = _page(notebook)
    assert "Traceback" not in page and 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert "jp-OutputArea-output" in page                      # it was run: there are outputs
    assert not re.search(r'<img[^>]+src="(?!data:)', page)      # images are embedded
    if '"%matplotlib inline' in notebook.read_text(encoding="utf-8"):
        assert 'src="data:image/png;base64,' in page             # and its figures are there


@needs_browser
def test_the_stepper_steps_in_its_page_without_a_kernel(browser):
    open_page(browser, make_course.page_path(NOTEBOOKS[0]))
    prefix = browser.execute_script(
        "var b = document.querySelector('button[id$=next]'); return b && b.id.slice(0, -4);")
    assert prefix, "no stepper in the page of notebook 1"
    count = browser.find_element("id", prefix + "count")
    assert count.text == "step 0 of 6"
    click(browser, prefix + "next", 2)
    assert count.text == "step 2 of 6"
    assert "grad" in browser.find_element("id", prefix + "text").text
