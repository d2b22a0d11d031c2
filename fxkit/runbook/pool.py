"""Spare kernels for the next ``fxkit run``: a private directory, a fingerprint, an atomic claim.

A spare (``fxkit.runbook.warm``) serves one run, then is killed like any kernel. It is
used only by a run with the same interpreter, the same environment and the same fxkit
and site-packages files (``fingerprint``). Spares live in a private directory
(``$FXKIT_KERNEL_POOL``, else ``/tmp/fxkit-kernels-UID``, mode 0700, ours, no symlink);
``FXKIT_WARM_KERNELS=0`` leaves none (each run still starts its own kernel early).

    >>> with prestarted() as kernel:        # doctest: +SKIP
    ...     run_runbook("lv-extend", {...}, kernel=kernel)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from fxkit.runbook.warm import PER_RUN, WarmKernel, start

POOL_ENV = "FXKIT_KERNEL_POOL"
WARM_ENV = "FXKIT_WARM_KERNELS"
MAX_SPARES = 2   # per user, whatever their fingerprints (tests change the environment a lot)


def warm_enabled() -> bool:
    return os.environ.get(WARM_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


def pool_dir() -> Path | None:
    """The private directory of spare kernels, or None if it is not safely ours."""
    where = Path(os.environ.get(POOL_ENV) or Path(tempfile.gettempdir())
                 / f"fxkit-kernels-{os.getuid()}")
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(where)
    except OSError:
        return None
    # someone else's directory, or a symlink to one, would hand them our kernels
    if st.st_uid != os.getuid() or (st.st_mode & 0o077) or not os.path.isdir(where) \
            or os.path.islink(where):
        return None
    return where


def fingerprint() -> str:
    """What a spare must share with the run that claims it: interpreter, environment,
    and the files it imported (fxkit's sources, site-packages)."""
    env = sorted((k, v) for k, v in os.environ.items() if k not in PER_RUN)
    stamp = [sys.executable, sys.version, env, _tree_stamp(Path(__file__).parent.parent)]
    stamp += [mtime_of(p) for p in sys.path if p.endswith("-packages")]
    return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]


def _tree_stamp(root: Path) -> list[int]:
    newest, count = 0, 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                newest = max(newest, mtime_of(os.path.join(folder, name)))
                count += 1
    return [newest, count]


def mtime_of(path: str | os.PathLike[str]) -> int:
    """``path``'s modification time in ns, 0 if it is gone (spares are taken oldest first)."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def claim_each(where: Path, mark: str) -> Iterator[Path]:
    """The spares of ``where`` with fingerprint ``mark`` that this process takes, oldest
    first: taking one is the atomic rename of its ``ready`` file, so two runs never get
    the same spare (kernels and runners alike). One that is gone or taken is skipped."""
    for spare in sorted(where.glob(f"{mark}-*"), key=mtime_of):
        try:
            (spare / "ready").rename(spare / "claimed")
        except OSError:
            continue   # taken by another run, or expired
        yield spare


def claim(mark: str | None = None) -> WarmKernel | None:
    """Take a ready spare with this process's fingerprint, or None. Taking is the atomic
    rename of its ``ready`` file, so two runs never get the same kernel."""
    pool = pool_dir()
    if pool is None:
        return None
    for spare in claim_each(pool, mark or fingerprint()):
        try:
            about = json.loads((spare / "spare.json").read_text())
            info = json.loads((spare / "connection.json").read_text())
        except (OSError, ValueError):
            shutil.rmtree(spare, ignore_errors=True)
            continue
        kernel = WarmKernel(spare, info, int(about["pid"]), str(about["cwd"]))
        if kernel.alive():
            return kernel
        kernel.discard()
    return None


def leave_spare(mark: str | None = None) -> None:
    """Start a spare for the next run, unless one with this fingerprint is ready."""
    pool = pool_dir()
    if pool is None or not warm_enabled():
        return
    mark = mark or fingerprint()
    ready = sorted((p for p in pool.glob("*-*") if (p / "ready").exists()), key=mtime_of)
    if any(p.name.startswith(mark + "-") for p in ready):
        return
    for old in ready[:max(len(ready) - MAX_SPARES + 1, 0)]:
        with contextlib.suppress(OSError):
            (old / "expire").touch()     # it exits within a second (``_expire``)
    where = pool / f"{mark}-{os.getpid()}-{secrets.token_hex(3)}"
    kernel = start(where, spare=True)
    (where / "spare.json").write_text(json.dumps({"pid": kernel.pid, "cwd": kernel.spawn_cwd,
                                                  "started": time.time()}))
    (where / "ready").touch()


@contextlib.contextmanager
def prestarted() -> Iterator[WarmKernel]:
    """A kernel for this run: a spare if one is ready, else one started now. Killed at
    the end, when a spare for the next run is started: not before, as a kernel starting
    beside this run would take the CPU it needs (the machine may have two cores)."""
    mark = fingerprint() if warm_enabled() else ""
    kernel = (claim(mark) if mark else None) or start()
    try:
        yield kernel
    finally:
        kernel.discard()
        if mark:
            leave_spare()   # fingerprinted afresh: the spare imports the files as they are now


