"""nbval on the seminar notebooks: their stored outputs are what a fresh lab gives today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebooks_pass_nbval_on_a_fresh_lab():
    """``pytest --nbval notebooks/`` in a child pytest (notebooks/conftest.py gives the lab)."""
    pytest.importorskip("nbval", reason="pip install nbval")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FXKIT_", "PYTEST_")) and k != "XDG_STATE_HOME"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "notebooks/", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", "--timeout=600"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "failed" not in proc.stdout, tail
