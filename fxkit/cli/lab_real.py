"""CLI glue for ``fxkit lab ... --real``: plain functions that fxkit.cli.lab calls.

Each prints what it did with ``click.echo`` and raises FxkitError subclasses on failure
(the CLI group turns those into a message and exit status)::

    build(force=True)        # fxkit lab build --real
    start(port=None)         # fxkit lab start --real [--port N] [--cold]
    stop()                   # fxkit lab stop --real
    status()                 # fxkit lab status (adds the real lab's lines)
    reset()                  # fxkit lab reset --real: a fresh fx from the snapshot
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from fxkit.lab.real import RealLabInfo


def _say(message: str) -> None:
    click.echo(f"[real lab {time.strftime('%H:%M:%S')}] {message}", err=True)


def build(force: bool = True) -> None:
    from fxkit.lab.real import build_image, image_manifest
    paths = build_image(force=force, progress=_say)
    m = image_manifest() or {}
    click.echo(f"real lab image: {paths.root} (xen {m.get('xen')}, linux {m.get('kernel')}, "
               f"built in {m.get('build_seconds')} s)")


def start(port: int | None = None, cold: bool = False) -> None:
    from fxkit.lab.real import start_real
    info = start_real(port, how="fxkit lab start --real", progress=_say, restore=not cold)
    _running(info)


def _running(info: RealLabInfo) -> None:
    how = (f"restored from the snapshot saved {info.restored_from} in {info.boot_seconds:.1f} s"
           if info.restored_from else f"boot {info.boot_seconds:.0f} s")
    click.echo(f"real lab running: Xen 4.17 dom0 'fx' on ssh 127.0.0.1:{info.port} "
               f"({how}, QEMU pid {info.pid}, RSS {info.rss_mb} MB)\n"
               f"  ssh -F {info.ssh_config} {info.alias}\n"
               f"  fxkit run host-inventory -p host lab:real      (any runbook, any command)\n"
               f"  python: fxkit.connect('lab:real')")


def stop() -> None:
    from fxkit.lab.real import stop_real
    if stop_real(progress=_say):
        click.echo("real lab stopped: dom0 powered off, QEMU gone (disks kept; "
                   "`fxkit lab reset --real` discards them)")
    else:
        click.echo("real lab: not running")


def reset() -> None:
    from fxkit.lab.real import reset_real
    info = reset_real(how="fxkit lab reset --real", progress=_say)
    click.echo("real lab reset: its disks were discarded and a fresh fx started")
    if info is not None:
        _running(info)


def status_lines() -> list[str]:
    """Lines for ``fxkit lab status``: empty when the real lab never ran here."""
    from fxkit.lab.real import status_real
    st = status_real()
    if st is None:
        return []
    return _lab_lines(st) + [_snapshot_line()]


def _snapshot_line() -> str:
    from fxkit.lab.real import snapshot_status
    snap = snapshot_status()
    if snap["usable"]:
        return (f"  snapshot: saved {snap['saved_at']} ({(snap['state_bytes'] or 0) >> 20} MiB "
                "of state); a start from fresh disks or a reset restores it in seconds")
    return f"  snapshot: none usable ({snap['why']}); the next fresh start saves one"


def _lab_lines(st: dict) -> list[str]:
    if st.get("stale"):
        return ["real lab: STALE (its QEMU is gone without a clean stop; the next start "
                "cleans it up)"]
    if not st["running"]:
        return ["real lab: stopped" + (" (disks kept)" if st.get("overlay") else "")]
    boot = st.get("boot_seconds")
    how = (f"restored from the snapshot saved {st['restored_from']} in {boot} s"
           if st.get("restored_from") else
           f"boot {boot if boot is not None else '?'} s, "
           f"provision {st.get('provision_seconds')} s")
    return [f"real lab: running, started by `{st['how']}`, pid {st['pid']}, "
            f"ssh 127.0.0.1:{st['port']}, {how}, QEMU RSS {st.get('rss_mb')} MB",
            f"  ssh -F {st['ssh_config']} {st['alias']}"]


def status() -> None:
    lines = status_lines()
    click.echo("\n".join(lines) if lines else "real lab: never started here")
