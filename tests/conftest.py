"""Hypothesis profiles: ``default`` for ``make test``, ``thorough`` (10,000 examples) for ``make test-thorough``;
the ``browser`` fixture (headless Chromium, ``tests/browser.py``)."""

import os

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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium per test module (``tests/browser.py``); closed after the module."""
    from browser import launch

    driver = launch(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
