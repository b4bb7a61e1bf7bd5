"""Screenshots for the README's gallery: ``.venv/bin/python docs/make_screenshots.py``.

- ``stepper_network.png``: the backward stepper of micrograd's ``MLP(2, [16, 16, 1])`` on one
  sample, stepped neuron by neuron, half-way through the sweep;
- ``stepper_quiz.png``: the quiz on the lecture's small expression, after two right answers;
- ``training_view.png``: the main job's training view at epoch 20 of 60.

Drives Debian's headless Chromium (``make test`` installs it) on pages written to a temporary
folder; nothing is fetched from the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nn
import viz
from autograd import Value

HERE = Path(__file__).resolve().parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--window-size=1280,1000", "--hide-scrollbars")


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def network_stepper(driver, folder: Path) -> None:
    model = nn.MLP(2, [16, 16, 1], generator=0)
    out = model([Value(0.5, label="x0"), Value(-1.2, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    stepper = viz.step_backward(loss, model=model, by="neuron", id_prefix="net")
    page = stepper.to_html(folder / "network.html")
    driver.get(page.as_uri())
    k = next(s.index + 1 for s in stepper.steps if s.unit == "layers.1.neurons.10")
    driver.execute_script("var s = document.getElementById('netslider'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('input'));", str(k))
    driver.save_screenshot(str(HERE / "stepper_network.png"))


def quiz(driver, folder: Path) -> None:
    a, b, c, f = (Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"),
                  Value(-2.0, label="f"))
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    loss = d * f
    loss.label = "L"
    page = viz.step_backward(loss, quiz=True, id_prefix="qz").to_html(folder / "quiz.html")
    driver.get(page.as_uri())
    driver.find_element("id", "qznext").click()
    driver.find_element("id", "qzanswer").send_keys("1\n")
    driver.find_element("id", "qznext").click()
    driver.find_element("id", "qzanswer").send_keys("-2\n")
    driver.find_element("id", "qznext").click()
    driver.set_window_size(1100, 760)
    driver.save_screenshot(str(HERE / "stepper_quiz.png"))


def training_view(driver, folder: Path) -> None:
    import demo  # the main job, docs/demo.py: this script's directory is first on sys.path

    model, X, y, history = demo.train(progress=False)
    page = viz.training_view(history, (X, y), model, id_prefix="tv").to_html(
        folder / "training.html")
    driver.set_window_size(1200, 900)
    driver.get(page.as_uri())
    driver.execute_script("var s = document.getElementById('tvslider'); s.value = '9';"
                          "s.dispatchEvent(new Event('input'));")
    driver.save_screenshot(str(HERE / "training_view.png"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        driver = browser(os.path.join(tmp, "profile"))
        try:
            network_stepper(driver, Path(tmp))
            quiz(driver, Path(tmp))
            training_view(driver, Path(tmp))
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
