"""CLI glue for ``fxkit lab ... --real``: plain functions that fxkit.cli.lab calls.

Each prints what it did with ``click.echo`` and raises FxkitError subclasses on failure
(the CLI group turns those into a message and exit status)::

    build(force=True)        # fxkit lab build --real
    start(port=None)         # fxkit lab start --real [--port N]
    stop()                   # fxkit lab stop --real
    status()                 # fxkit lab status (adds the real lab's lines)
    reset()                  # fxkit lab reset --real
"""

from __future__ import annotations

import time

import click


def _say(message: str) -> None:
    click.echo(f"[real lab {time.strftime('%H:%M:%S')}] {message}", err=True)


def build(force: bool = True) -> None:
    from fxkit.lab.real import build_image, image_manifest
    paths = build_image(force=force, progress=_say)
    m = image_manifest() or {}
    click.echo(f"real lab image: {paths.root} (xen {m.get('xen')}, linux {m.get('kernel')}, "
               f"built in {m.get('build_seconds')} s)")


def start(port: int | None = None) -> None:
    from fxkit.lab.real import start_real
    info = start_real(port, how="fxkit lab start --real", progress=_say)
    click.echo(f"real lab running: Xen 4.17 dom0 'fx' on ssh 127.0.0.1:{info.port} "
               f"(boot {info.boot_seconds:.0f} s, QEMU pid {info.pid}, "
               f"RSS {info.rss_mb} MB)\n"
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
    reset_real()
    click.echo("real lab reset: its disks are discarded; the next start provisions a fresh fx")


def status_lines() -> list[str]:
    """Lines for ``fxkit lab status``: empty when the real lab never ran here."""
    from fxkit.lab.real import status_real
    st = status_real()
    if st is None:
        return []
    if st.get("stale"):
        return ["real lab: STALE (its QEMU is gone without a clean stop; the next start "
                "cleans it up)"]
    if not st["running"]:
        return ["real lab: stopped" + (" (disks kept)" if st.get("overlay") else "")]
    boot = st.get("boot_seconds")
    return [f"real lab: running, started by `{st['how']}`, pid {st['pid']}, "
            f"ssh 127.0.0.1:{st['port']}, boot {boot if boot is not None else '?'} s, "
            f"provision {st.get('provision_seconds')} s, QEMU RSS {st.get('rss_mb')} MB",
            f"  ssh -F {st['ssh_config']} {st['alias']}"]


def status() -> None:
    lines = status_lines()
    click.echo("\n".join(lines) if lines else "real lab: never started here")
