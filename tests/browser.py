"""Headless Chromium for the browser tests, driven by Selenium (shared by the test files).

Uses Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs
them); nothing is downloaded. A test marked ``needs_browser`` (or a module
with ``pytestmark = needs_browser``) is skipped, with the reason, only when
they are not installed; it is also one of the slow end-to-end tests
(``conftest.py`` marks it ``slow``, which ``make test-fast`` leaves out). The
``browser`` fixture (one Chromium per module) is in ``conftest.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1200,900",
)

# ``browser`` is a registered marker (pyproject.toml); conftest.py turns it into this skip
# when Chromium is missing, and into ``slow``
needs_browser = pytest.mark.browser
skip_without_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="the browser test needs Chromium and its driver: "
           "sudo apt-get install chromium chromium-driver (make test installs them)",
)


def launch(profile: Path, javascript: bool = True) -> Any:
    """Headless Chromium with a fresh profile in ``profile``; no downloads, no network services."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def open_page(browser: Any, path: Path) -> None:
    """Load the file at ``path`` and wait until it has loaded."""
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def click(browser: Any, element_id: str, times: int = 1) -> None:
    """Click the element with id ``element_id``, ``times`` times."""
    button = browser.find_element("id", element_id)
    for _ in range(times):
        button.click()
