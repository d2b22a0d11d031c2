"""nbval on the seminar: every kernel sees a brand-new lab, audit log and runs directory.

    pytest --nbval notebooks/

The environment is set before nbval starts any kernel (kernels inherit it); each
notebook's first cell also resets the lab, so the notebooks do not depend on
each other's changes. It is the one scripts/build_seminar.py gives each notebook it
executes (``fresh_environment``), so nbval sees what the stored outputs were made on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_made: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    from scripts.build_seminar import fresh_environment

    base = tempfile.mkdtemp(prefix="fxkit-nbval-")
    _made.append(base)
    os.environ.update(fresh_environment(Path(base)))


def pytest_unconfigure(config: pytest.Config) -> None:
    for base in _made:
        shutil.rmtree(base, ignore_errors=True)
