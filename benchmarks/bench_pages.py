"""Stepper pages in a real browser: size, time to interactive, time to show the last step.

The page of micrograd's ``MLP(2, [16, 16, 1])`` on one sample, stepped by op
(1,252 steps), by neuron and by layer, opened in headless Chromium (Debian's,
as in the tests). Reported: the file size, the time from navigation to the
end of the load event (the script has run and drawn step 0 by then), and the
time the script takes to show the last step. Median of 5 loads each. Targets
from the issue: under 5 MB and interactive within 1 s.

Run: make bench (needs chromium and chromedriver; make test installs them)
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nn
import viz
from autograd import Value

LOADS = 5


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def main() -> None:
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        sys.exit("chromium and chromedriver are needed: run make test once (it installs them)")
    model = nn.MLP(2, [16, 16, 1], generator=0)
    out = model([Value(0.5, label="x0"), Value(-1.2, label="x1")])
    loss = (out - 1.0) ** 2
    with tempfile.TemporaryDirectory() as tmp:
        driver = browser(os.path.join(tmp, "profile"))
        try:
            print(f"{'by':<8} {'steps':>6} {'size KB':>8} {'load ms':>8} {'last step ms':>13}")
            for by in ("op", "neuron", "layer"):
                stepper = viz.step_backward(loss, model=model, by=by, id_prefix="m")
                page = stepper.to_html(Path(tmp) / f"{by}.html")
                loads, lasts = [], []
                for _ in range(LOADS):
                    driver.get(page.as_uri())
                    loads.append(driver.execute_script(
                        "return performance.getEntriesByType('navigation')[0].loadEventEnd;"))
                    lasts.append(driver.execute_script(
                        "var t = performance.now(), s = document.getElementById('mslider');"
                        "s.value = s.max; s.dispatchEvent(new Event('input'));"
                        "return performance.now() - t;"))
                print(f"{by:<8} {len(stepper):>6} {os.path.getsize(page) // 1024:>8} "
                      f"{statistics.median(loads):>8.0f} {statistics.median(lasts):>13.1f}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
