"""The main job runs end to end: ``make demo`` is ``python -m viz.demo``."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET


def test_main_job_writes_every_file_and_passes_its_checks(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "viz.demo"], cwd=tmp_path, capture_output=True, text=True, check=False,
        timeout=240, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = tmp_path / "out"
    names = {"loss_curve.png", "decision_boundary.png", "neuron.svg", "backward_stepper.html",
             "report.txt"}
    assert names <= {p.name for p in out.iterdir()}
    for name in names:
        assert str(out / name) in result.stdout  # it says where each file is
    report = (out / "report.txt").read_text()
    assert "training accuracy 100%" in report and "MISMATCH" not in report
    ET.parse(out / "neuron.svg")  # well-formed SVG
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" in (out / "backward_stepper.html").read_text()


def test_engine_demo_checks_its_gradients():
    result = subprocess.run([sys.executable, "-m", "autograd.demo"], capture_output=True, check=False,
                            text=True, timeout=60)
    assert result.returncode == 0 and "all gradients agree" in result.stdout
