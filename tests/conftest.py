"""Hypothesis profiles: ``default`` for ``make test``, ``thorough`` (10,000 examples) for ``make test-thorough``;
the test tiers (``slow`` end-to-end tests, left out by ``make test-fast``); the ``browser``
fixture (headless Chromium, ``tests/browser.py``).

Tests mirror the code: ``tests/autograd``, ``tests/nn`` and ``tests/viz``; the end-to-end
tests of the product (notebooks, course pages, the main job, JupyterLab) are in ``tests/``
itself. Shared helpers (``browser.py``, ``graphs.py``) are imported by name from here.
"""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=10_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

sys.path.insert(0, str(Path(__file__).parent))  # browser.py and graphs.py, from any subdirectory

# The slow end-to-end tests: whole notebooks, the course pages and every other test that
# drives Chromium, the main job, JupyterLab and micrograd's demo. ``make test`` (CI's gate)
# runs them; ``make test-fast`` runs everything else (``pytest -m "not slow"``).
SLOW_FILES = {"test_notebooks.py", "test_course_pages.py", "test_demo.py", "test_lab.py",
              "test_micrograd_demo.py"}


def pytest_collection_modifyitems(config, items):
    """Mark the slow tiers: files in ``SLOW_FILES``, and tests marked ``browser`` (which are
    also skipped, saying why, on a machine without Chromium and its driver)."""
    from browser import skip_without_browser

    for item in items:
        if item.get_closest_marker("browser") is not None or "browser" in item.fixturenames:
            item.add_marker(pytest.mark.slow)
            item.add_marker(skip_without_browser)
        elif item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium per test module (``tests/browser.py``); closed after the module."""
    from browser import launch

    driver = launch(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
