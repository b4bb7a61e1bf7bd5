"""``make lab``: JupyterLab on the course's notebooks.

The test runs ``make lab`` itself, on a free port of the loopback interface
with a token of its own, asks the server over HTTP for the notebooks it
serves and for the JupyterLab page, and stops it (the whole process group it
started). Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("jupyterlab", reason="the notebook extra is not installed")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def _stop(process: subprocess.Popen) -> None:
    """End the process group of ``make lab`` (make and the server it runs)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


def test_make_lab_serves_the_notebooks(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    options = (f"--no-browser --ip=127.0.0.1 --port={port} --port-retries=0 "
               f"--IdentityProvider.token={token}")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={options}"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, listing = time.monotonic() + 300, None  # make may first install the extras
        while listing is None and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                status, body = _get(f"{base}/api/contents", token)
                listing = json.loads(body)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert listing is not None, (tmp_path / "lab.log").read_text()[-3000:]
        status, page = _get(f"{base}/lab", token)
    finally:
        _stop(process)
        log.close()
    served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert served == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert status == 200 and b"JupyterLab" in page
    assert process.returncode is not None  # stopped
