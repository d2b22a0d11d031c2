"""nbval on the seminar: every kernel sees a brand-new lab, audit log and runs directory.

    pytest --nbval notebooks/

The environment is set before nbval starts each notebook's kernel (kernels inherit it): a
new one per notebook, so each notebook's first cell creates its lab at that notebook's
checkpoint (``seminar.start`` never wipes a lab), and the notebooks do not depend on each
other's changes. It is the one scripts/build_seminar.py gives each notebook it executes
(``fresh_environment``), so nbval sees what the stored outputs were made on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_made: list[str] = []
_seen: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    from scripts.build_seminar import fresh_environment

    base = tempfile.mkdtemp(prefix="fxkit-nbval-")
    _made.append(base)
    os.environ.update(fresh_environment(Path(base)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's first cell (nbval starts its kernel then): a fresh environment."""
    from scripts.build_seminar import fresh_environment

    notebook = str(item.parent.nodeid if item.parent is not None else "")
    if notebook and notebook not in _seen:
        _seen.add(notebook)
        base = tempfile.mkdtemp(prefix="fxkit-nbval-")
        _made.append(base)
        os.environ.update(fresh_environment(Path(base)))


def pytest_unconfigure(config: pytest.Config) -> None:
    for base in _made:
        shutil.rmtree(base, ignore_errors=True)
