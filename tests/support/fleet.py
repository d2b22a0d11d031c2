"""A lab fleet for tests: ``fxkit lab start --hosts N`` in a private lab dir, stopped after."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from fxkit.lab.fleet import FleetStore
from fxkit.lab.ssh import daemon

ANSIBLE_BIN = Path(sys.executable).parent


@contextlib.contextmanager
def lab_fleet(root: Path, hosts: int) -> Iterator[daemon.ServerStatus]:
    """Serve ``hosts`` lab dom0s from ``root`` (FXKIT_LAB_DIR points there meanwhile)."""
    old = os.environ.get("FXKIT_LAB_DIR")
    os.environ["FXKIT_LAB_DIR"] = str(root)
    try:
        st = daemon.start(["fx"], 0, root, hosts=hosts)
        try:
            yield st
        finally:
            daemon.stop(root)
    finally:
        if old is None:
            os.environ.pop("FXKIT_LAB_DIR", None)
        else:
            os.environ["FXKIT_LAB_DIR"] = old


def store(root: Path, name: str) -> FleetStore:
    return FleetStore(name, root)
