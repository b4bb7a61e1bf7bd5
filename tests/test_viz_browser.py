"""The stepper page in a real browser: headless Chromium, driven by Selenium.

Uses Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs
them); nothing is downloaded. Skipped, with the reason, only when they are
not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from graphs import micrograd_example

import viz
from autograd import Value
from viz.stepper import step_forward

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1200,900",
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="the browser test needs Chromium and its driver: "
           "sudo apt-get install chromium chromium-driver (make test installs them)",
)


def launch(profile: Path, javascript: bool = True):
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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = launch(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


def open_page(browser, path: Path) -> None:
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def click(browser, element_id: str, times: int = 1) -> None:
    button = browser.find_element("id", element_id)
    for _ in range(times):
        button.click()


def shown(browser, p: str) -> dict:
    """What the page shows now: highlighted nodes, each node's value text, the step text."""
    return browser.execute_script(
        """
        var p = arguments[0], root = document.getElementById(p + "root");
        function ids(cls) {
          var found = root.querySelectorAll("svg g." + cls);
          return Array.from(found).map(function (g) { return g.id; });
        }
        var values = {};
        root.querySelectorAll("svg g.node").forEach(function (g) {
          var texts = Array.from(g.querySelectorAll("text")).map(function (t) {
            return t.textContent; });
          values[g.id.slice(p.length)] = texts.filter(function (t) {
            return t.indexOf("grad ") === 0 || t.indexOf("tangent ") === 0; })[0];
        });
        var cells = {};
        root.querySelectorAll("tbody tr").forEach(function (r) {
          cells[r.id.slice(p.length)] = r.cells[r.cells.length - 1].textContent; });
        return {source: ids("bps-source"), target: ids("bps-target"), edge: ids("bps-edge"),
                values: values, cells: cells,
                text: document.getElementById(p + "text").textContent,
                count: document.getElementById(p + "count").textContent,
                fill: document.getElementById(p + "n0").querySelector("path").getAttribute("fill")};
        """,
        p,
    )


def test_next_moves_the_highlight_and_updates_the_gradients(browser, tmp_path):
    stepper = viz.step_backward(micrograd_example(), id_prefix="s1")
    open_page(browser, stepper.to_html(tmp_path / "steps.html"))
    assert browser.get_log("browser") == []  # no script errors
    now = shown(browser, "s1")
    assert now["count"] == "step 0 of 7" and now["source"] == now["target"] == []
    assert now["values"]["n6"] == "grad 0" and now["fill"] == "#ffffff"  # not reached yet
    click(browser, "s1next")
    now = shown(browser, "s1")
    assert now["target"] == ["s1n6"] and now["values"]["n6"] == "grad 1"
    assert now["text"] == "L.grad = 1.0  (dL/dL = 1)"
    click(browser, "s1next")
    now = shown(browser, "s1")
    assert now["source"] == ["s1n6"] and now["target"] == ["s1n4"] and now["edge"] == ["s1e6_0"]
    assert now["values"]["n4"] == "grad -2" and now["cells"]["r4"] == "-2"
    assert now["values"]["n0"] == "grad 0"
    click(browser, "s1next", 4)
    now = shown(browser, "s1")
    assert now["text"] == "a.grad += b.data * e.grad = -3.0 * -2.0 = 6.0"
    assert now["source"] == ["s1n2"] and now["target"] == ["s1n0"]
    assert now["values"]["n0"] == "grad 6" and now["fill"] != "#ffffff"
    click(browser, "s1next")
    now = shown(browser, "s1")
    final = [f"grad {g:.4g}" for g in stepper.final]
    assert [now["values"][f"n{i}"] for i in range(7)] == final
    assert browser.find_element("id", "s1next").get_attribute("disabled") is not None
    click(browser, "s1prev", 2)
    now = shown(browser, "s1")
    assert now["count"] == "step 5 of 7" and now["values"]["n0"] == "grad 0"


def test_slider_and_arrow_keys(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    stepper = viz.step_backward(micrograd_example(), id_prefix="s2")
    open_page(browser, stepper.to_html(tmp_path / "steps.html"))
    browser.execute_script(
        "var s = document.getElementById('s2slider'); s.value = '6';"
        "s.dispatchEvent(new Event('input'));"
    )
    now = shown(browser, "s2")
    assert now["count"] == "step 6 of 7" and now["values"]["n0"] == "grad 6"
    browser.find_element("id", "s2root").send_keys(Keys.ARROW_LEFT)
    assert shown(browser, "s2")["count"] == "step 5 of 7"


def test_accumulation_into_a_reused_node_takes_two_steps(browser, tmp_path):
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    open_page(browser, viz.step_backward(b, id_prefix="acc").to_html(tmp_path / "acc.html"))
    click(browser, "accnext", 2)
    now = shown(browser, "acc")
    assert now["values"]["n0"] == "grad 1" and now["edge"] == ["acce1_0"]
    click(browser, "accnext")
    now = shown(browser, "acc")
    assert now["values"]["n0"] == "grad 2" and now["edge"] == ["acce1_1"]


def test_two_steppers_share_a_page(browser, tmp_path):
    x = Value(0.5, label="x")
    y = (x * 3.0).tanh()
    first = viz.step_backward(micrograd_example())
    second = viz.step_backward(y)
    page = tmp_path / "two.html"
    page.write_text(f"<!DOCTYPE html><meta charset='utf-8'><body>{first._repr_html_()}"
                    f"{second._repr_html_()}</body>", encoding="utf-8")
    open_page(browser, page)
    roots = browser.execute_script(
        "return Array.from(document.querySelectorAll('div.bps')).map(function (d) {"
        " return d.id.slice(0, -4); });")
    assert len(roots) == 2 and roots[0] != roots[1]
    click(browser, f"{roots[1]}next", 3)
    assert shown(browser, roots[1])["count"] == "step 3 of 4"
    assert shown(browser, roots[0])["count"] == "step 0 of 7"
    click(browser, f"{roots[0]}next")
    assert shown(browser, roots[0])["target"] == [f"{roots[0]}n6"]
    assert shown(browser, roots[1])["count"] == "step 3 of 4"


def test_forward_mode_tangents_flow_forward(browser, tmp_path):
    x = Value(3.0, label="x")
    y = (x + x) * x
    y.label = "y"
    stepper = step_forward(y, {x: 1.0}, id_prefix="fw")
    open_page(browser, stepper.to_html(tmp_path / "forward.html"))
    assert shown(browser, "fw")["values"]["n2"] == "tangent –"
    click(browser, "fwnext", 2)
    now = shown(browser, "fw")
    assert now["target"] == ["fwn1"] and now["source"] == ["fwn0"]
    assert now["values"]["n1"] == "tangent 2" and now["values"]["n2"] == "tangent –"
    click(browser, "fwnext")
    assert shown(browser, "fw")["values"]["n2"] == "tangent 12"


def test_without_javascript_the_steps_are_stacked(tmp_path):
    path = viz.step_backward(micrograd_example(), id_prefix="nojs").to_html(tmp_path / "s.html")
    driver = launch(tmp_path / "profile", javascript=False)
    try:
        open_page(driver, path)
        steps = driver.find_elements("css selector", "#nojsroot ol.bps-steps li")
        assert [li.is_displayed() for li in steps] == [True] * 7
        assert steps[5].text == "a.grad += b.data * e.grad = -3.0 * -2.0 = 6.0"
        assert not driver.find_element("id", "nojscontrols").is_displayed()
        assert driver.find_element("css selector", "#nojsroot svg").is_displayed()
    finally:
        driver.quit()
