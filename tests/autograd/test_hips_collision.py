"""HIPS autograd (PyPI ``autograd``) installed over this package: ``import autograd`` says so.

Both projects install a top-level package named ``autograd``. A copy of this
package is made in a temporary directory, the files only HIPS autograd has are
added to it, and the copy is imported in a fresh interpreter with that
directory first on ``sys.path``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

PACKAGE = Path(autograd.__file__).resolve().parent
HIPS_FILES = ["tracer.py", "wrap_util.py", "differential_operators.py", "numpy/"]


def copy_of_package(tmp_path: Path) -> Path:
    """This package copied to ``tmp_path/autograd``; returns ``tmp_path``."""
    shutil.copytree(PACKAGE, tmp_path / "autograd", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def import_from(root: Path) -> subprocess.CompletedProcess:
    """``import autograd`` in a fresh interpreter, with ``root`` first on sys.path."""
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); import autograd; "
            "print(autograd.__file__); print(autograd.Value(2.0) * 3)")
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_copy_of_the_package_imports_normally(tmp_path):
    root = copy_of_package(tmp_path)
    result = import_from(root)
    assert result.returncode == 0, result.stderr
    where, value = result.stdout.splitlines()
    assert Path(where).parent == root / "autograd"  # the copy, not the installed package
    assert value.startswith("Value(data=6.0")


def test_the_real_package_imports_and_leaves_no_names_behind():
    assert autograd.Value(1.5).data == 1.5
    assert not hasattr(autograd, "_os") and not hasattr(autograd, "_hips_files")


@pytest.mark.parametrize("name", HIPS_FILES)
def test_a_file_only_hips_autograd_has_stops_the_import_saying_what_to_do(tmp_path, name):
    root = copy_of_package(tmp_path)
    if name.endswith("/"):
        (root / "autograd" / name).mkdir()
        (root / "autograd" / name / "__init__.py").write_text("# HIPS autograd's\n")
    else:
        (root / "autograd" / name).write_text("# HIPS autograd's\n")
    result = import_from(root)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: import autograd: ")
    assert f"holds {name}, which belong to HIPS autograd (the PyPI package 'autograd')" in last
    assert str(root / "autograd") in last
    assert "'pip uninstall autograd', then reinstall this package" in last
    assert "separate virtual environments" in last


def test_every_file_found_is_named(tmp_path):
    root = copy_of_package(tmp_path)
    for name in ("tracer.py", "wrap_util.py"):
        (root / "autograd" / name).write_text("# HIPS autograd's\n")
    result = import_from(root)
    assert "holds tracer.py, wrap_util.py, which belong to HIPS autograd" in result.stderr
