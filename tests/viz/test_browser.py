"""The stepper page in a real browser: headless Chromium, driven by Selenium.

Chromium and its driver come from ``tests/browser.py`` (the ``browser``
fixture from ``conftest.py``); skipped, with the reason, only when they are
not installed.
"""

from __future__ import annotations

from browser import click, launch, needs_browser, open_page
from graphs import micrograd_example, mlp_with_loss

import viz
from autograd import Value
from viz.stepper import step_forward

pytestmark = needs_browser


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
                fill: document.getElementById(p + "n0") &&
                      document.getElementById(p + "n0").querySelector("path").getAttribute("fill")};
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
    assert now["text"] == "a.grad += b * e.grad = -3.0 * -2.0 = 6.0"
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
        assert steps[5].text == "a.grad += b * e.grad = -3.0 * -2.0 = 6.0"
        assert not driver.find_element("id", "nojscontrols").is_displayed()
        assert driver.find_element("css selector", "#nojsroot svg").is_displayed()
    finally:
        driver.quit()


# --------------------------------------------------------------------------- networks and quizzes


def boxes(browser, p: str) -> dict:
    """The text of every collapsed box on the page, by its id (without the prefix)."""
    return browser.execute_script(
        """
        var p = arguments[0], out = {};
        document.querySelectorAll("#" + p + "root svg g.node").forEach(function (g) {
          var name = g.id.slice(p.length);
          if (name[0] === "g") {
            out[name] = Array.from(g.querySelectorAll("text")).map(function (t) {
              return t.textContent; });
          }
        });
        return out;
        """,
        p,
    )


def test_layer_by_layer_stepper_updates_the_boxes_and_ends_on_backward(browser, tmp_path):
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="layer", id_prefix="net")
    open_page(browser, stepper.to_html(tmp_path / "net.html"))
    assert browser.get_log("browser") == []
    at_start = boxes(browser, "net")
    assert set(at_start) == {"g0", "g1", "g2"}
    assert all(rows[-1].endswith("max |grad| 0") for rows in at_start.values())
    click(browser, "netnext", len(stepper))
    at_end = boxes(browser, "net")
    assert at_end != at_start
    loss.backward()
    for name, rows in at_end.items():
        module = {"g0": "layers.0", "g1": "layers.1", "g2": "layers.2"}[name]
        grads = [abs(p.grad) for n, p in model.named_parameters() if n.startswith(module + ".")]
        assert rows[-1].endswith(f"max |grad| {max(grads):.4g}"), (name, rows[-1])
    # the node drawn for the loss shows backward()'s grad, and the step text is the module's
    assert shown(browser, "net")["values"][f"n{len(stepper.nodes) - 1}"] == "grad 1"
    assert shown(browser, "net")["text"].startswith("layers.0 (Layer): ")


def test_the_active_node_is_scrolled_into_view(browser, tmp_path):
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="op", id_prefix="big")
    open_page(browser, stepper.to_html(tmp_path / "big.html"))
    browser.execute_script(
        "var s = document.getElementById('bigslider'); s.value = String(arguments[0]);"
        "s.dispatchEvent(new Event('input'));", len(stepper) - 1)
    inside = browser.execute_script(
        """
        var box = document.getElementById("biggraph").getBoundingClientRect();
        var el = document.querySelector("#bigroot svg g.bps-target").getBoundingClientRect();
        return el.left >= box.left - 1 && el.right <= box.right + 1 &&
               el.top >= box.top - 1 && el.bottom <= box.bottom + 1;
        """)
    assert inside


def test_jumps_go_to_the_next_layer(browser, tmp_path):
    model, loss = mlp_with_loss()
    stepper = viz.step_backward(loss, model=model, by="neuron", id_prefix="jmp")
    open_page(browser, stepper.to_html(tmp_path / "jump.html"))
    click(browser, "jmpfwdlayer", 2)
    count = shown(browser, "jmp")["count"]
    k = int(count.split()[1])
    first_of_layer = next(s.index + 1 for s in stepper.steps if s.unit.startswith("layers.2"))
    assert k == first_of_layer
    click(browser, "jmpfwdlayer")
    k2 = int(shown(browser, "jmp")["count"].split()[1])
    assert stepper.steps[k2 - 1].unit.startswith("layers.1")
    click(browser, "jmpbacklayer")
    assert int(shown(browser, "jmp")["count"].split()[1]) == first_of_layer


def test_quiz_scores_a_right_answer_and_not_a_wrong_one(browser, tmp_path):
    stepper = viz.step_backward(micrograd_example(), quiz=True, id_prefix="qz")
    open_page(browser, stepper.to_html(tmp_path / "quiz.html"))
    click(browser, "qznext")
    now = shown(browser, "qz")
    assert "what is L.grad" in now["text"] and now["values"]["n6"] == "grad ?"
    assert browser.find_element("id", "qznext").get_attribute("disabled") is not None
    answer = browser.find_element("id", "qzanswer")
    answer.send_keys("1\n")
    assert browser.find_element("id", "qzscore").text == "score: 1 of 1"
    assert shown(browser, "qz")["text"] == "L.grad = 1.0  (dL/dL = 1)"
    assert browser.find_element("id", "qzverdict").text == "right!"
    click(browser, "qznext")
    browser.find_element("id", "qzanswer").send_keys("5\n")  # the right answer is -2
    assert browser.find_element("id", "qzscore").text == "score: 1 of 2"
    assert "the answer is -2" in browser.find_element("id", "qzverdict").text
    assert shown(browser, "qz")["text"] == "d.grad += f * L.grad = -2.0 * 1.0 = -2.0"
    click(browser, "qznext")
    browser.find_element("id", "qzanswer").send_keys(f"{4.0 * (1 + 5e-4)}\n")  # within 0.1%
    assert browser.find_element("id", "qzscore").text == "score: 2 of 3"
