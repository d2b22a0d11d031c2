"""``fxkit lab``: start, stop and inspect the simulated fx; reset it; inject faults."""

from __future__ import annotations

import shlex
import sys

import click

from fxkit.lab import faults
from fxkit.lab.ssh import daemon
from fxkit.lab.store import LabStore, lab_dir, scenarios

REAL = click.option("--real", is_flag=True,
                    help="The real Xen lab: Xen 4.17 and a Debian dom0 under QEMU, reached "
                         "as host lab:real (minutes to boot; needs qemu-system-x86 and "
                         "debootstrap; see fxkit/lab/real/README.md).")
SCENARIO = click.option("--scenario", "-s", default="fx", show_default=True,
                        type=click.Choice(scenarios()), help="Which simulated host.")


@click.group()
def lab() -> None:
    """The simulated fx: an SSH server on 127.0.0.1 that answers like the real host.

    State lives in $FXKIT_LAB_DIR (default ~/.local/state/fxkit/lab) and is shared
    by the server and by in-process use (fxkit.connect("lab") when no server runs).
    With --real, start/stop/status/reset/build act on the real Xen lab instead, a
    Xen 4.17 dom0 under QEMU that every command and runbook reaches as host lab:real.
    """


@lab.command()
@click.option("--scenario", "-s", "names", multiple=True, type=click.Choice(scenarios()),
              help="Scenario to serve, one port each (repeatable; default fx).")
@click.option("--port", "-p", type=int, default=None,
              help=f"First port (default {daemon.DEFAULT_PORT}, or any free port if taken; "
                   "0 = any free port).")
@click.option("--foreground", is_flag=True, help="Serve in this process until Ctrl-C.")
@click.option("--hosts", type=click.IntRange(0, 500), default=0, metavar="N",
              help="Also serve a fleet of N simulated dom0s, fx01..fxNN (own state, host key "
                   "and port each), with an Ansible inventory, inventory.ini, beside the "
                   "lab's ssh_config.")
@REAL
@click.option("--cold", is_flag=True,
              help="With --real: boot and provision instead of restoring the saved fx "
                   "(minutes), and save it again.")
def start(names: tuple[str, ...], port: int | None, foreground: bool, hosts: int, real: bool,
          cold: bool) -> None:
    """Start the lab's SSH server (or, with --real, start the real Xen lab)."""
    if cold and not real:
        raise click.UsageError("--cold is for the real lab: fxkit lab start --real --cold")
    if real:
        from fxkit.cli import lab_real
        lab_real.start(port, cold=cold)
        return
    root = lab_dir()
    if hosts and foreground:
        raise click.UsageError("--hosts runs with the daemon: drop --foreground")
    if foreground:
        import logging

        from fxkit.lab.ssh.serve import serve
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        logging.getLogger("paramiko").setLevel(logging.WARNING)
        if current := daemon.status(root):
            raise click.ClickException(f"the lab server already runs (pid {current.pid})")
        root.mkdir(parents=True, exist_ok=True)
        click.echo(f"serving {', '.join(names or ['fx'])} from {root}; Ctrl-C stops", err=True)
        serve(root, daemon.plan_ports(list(names or ["fx"]), port))
        return
    st = daemon.start(list(names) or None, port, root, hosts=hosts)
    if hosts:
        fleet = [n for n in st.ports if n.startswith("fx") and n[2:].isdigit()]
        click.echo(f"running: pid {st.pid}, lab dir {st.root}; fleet of {len(fleet)} hosts "
                   f"({fleet[0]}..{fleet[-1]}), ports {min(st.ports[n] for n in fleet)}.."
                   f"{max(st.ports[n] for n in fleet)}")
        click.echo(f"inventory: {root / 'inventory.ini'}")
        click.echo(f"try: fxkit inventory -i {shlex.quote(str(root / 'inventory.ini'))} "
                   "--limit 'dom0s:!fx01'")
        return
    _show(st)
    click.echo(f"try: ssh -F {shlex.quote(str(root / 'ssh_config'))} "
               f"{next(iter(st.ports))} uname -a")


@lab.command()
@REAL
def stop(real: bool) -> None:
    """Stop the lab's SSH server (the state is kept; see `fxkit lab reset`)."""
    if real:
        from fxkit.cli import lab_real
        lab_real.stop()
        return
    pid = daemon.stop()
    click.echo("the lab server was not running" if pid is None else f"stopped (pid {pid})")


@lab.command()
def status() -> None:
    """Is the server running: pid, ports, scenarios, uptime. Exit 1 if not."""
    from fxkit.cli import lab_real
    st = daemon.status()
    for line in lab_real.status_lines():
        click.echo(line)
    if st is None:
        click.echo(f"not running (lab dir {lab_dir()})")
        sys.exit(1)
    _show(st)


def _show(st: daemon.ServerStatus) -> None:
    click.echo(f"running: pid {st.pid}, up {st.uptime:.0f}s, lab dir {st.root}")
    for name, port in st.ports.items():
        click.echo(f"  {name:<10} 127.0.0.1:{port}")


@lab.command()
@click.option("--scenario", "-s", "names", multiple=True, type=click.Choice(scenarios()),
              help="Scenario to reset (repeatable; default fx).")
@click.option("--all", "all_", is_flag=True, help="Reset every scenario.")
@REAL
def reset(names: tuple[str, ...], all_: bool, real: bool) -> None:
    """Put a scenario back to its initial state (clears faults too).

    With --real: discard the real lab's disks and restore the saved, provisioned fx
    (seconds; the first time, or after an fxkit or image change, it boots and provisions).
    """
    if real:
        from fxkit.cli import lab_real
        lab_real.reset()
        return
    for name in scenarios() if all_ else (names or ("fx",)):
        LabStore(name).reset()
        click.echo(f"reset {name}")


@lab.command()
@click.option("--real", "real", is_flag=True, required=True,
              help="Build the real Xen lab's image (the only lab that has one).")
@click.option("--force", is_flag=True, help="Rebuild even if the cached image is current.")
def build(real: bool, force: bool) -> None:
    """Build (or rebuild) the real Xen lab's Debian dom0 image; cached afterwards."""
    from fxkit.cli import lab_real
    lab_real.build(force=force)


@lab.command("ssh-config")
def ssh_config() -> None:
    """Print the ssh_config stanzas for the running lab (use with ssh -F)."""
    path = lab_dir() / "ssh_config"
    if daemon.status() is None or not path.exists():
        raise click.ClickException("the lab server is not running: start it with "
                                   "`fxkit lab start`")
    click.echo(path.read_text(), nl=False)


@lab.command("run", context_settings={"ignore_unknown_options": True})
@SCENARIO
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def run(scenario: str, argv: tuple[str, ...]) -> None:
    """Run one command in the lab, in-process (e.g. fxkit lab run -- lvs)."""
    from fxkit.lab.transport import run_request
    reply = run_request(LabStore(scenario), argv=list(argv),
                        stdin="" if sys.stdin.isatty() else sys.stdin.read())
    if reply.drop:
        raise click.ClickException("the lab dropped the connection (an injected fault)")
    click.echo(reply.stdout, nl=False)
    click.echo(reply.stderr, nl=False, err=True)
    sys.exit(reply.status)


@lab.group()
def fault() -> None:
    """Inject faults for tests (cleared by `fxkit lab reset`)."""


@fault.command("fail")
@SCENARIO
@click.argument("pattern")
@click.option("--status", default=1, show_default=True, help="Exit status to return.")
@click.option("--stderr", default="", help="What the command prints on stderr.")
@click.option("--times", default=1, show_default=True, help="How many matching commands.")
def fault_fail(scenario: str, pattern: str, status: int, stderr: str, times: int) -> None:
    """Fail the next command matching PATTERN (a glob over the command line)."""
    if stderr and not stderr.endswith("\n"):
        stderr += "\n"
    _add(scenario, faults.fail_next, pattern, status=status, stderr=stderr, times=times)


@fault.command("drop")
@SCENARIO
@click.option("--after", default=0, show_default=True, help="Commands let through first.")
@click.option("--run", "run_first", is_flag=True, help="Run the command, then drop.")
def fault_drop(scenario: str, after: int, run_first: bool) -> None:
    """Drop the connection after N more commands."""
    _add(scenario, faults.drop_after, after, run=run_first)


@fault.command("delay")
@SCENARIO
@click.argument("pattern")
@click.argument("seconds", type=float)
@click.option("--times", default=1, show_default=True)
def fault_delay(scenario: str, pattern: str, seconds: float, times: int) -> None:
    """Delay the next command matching PATTERN by SECONDS (real time)."""
    _add(scenario, faults.delay, pattern, seconds, times=times)


@fault.command("list")
@SCENARIO
def fault_list(scenario: str) -> None:
    """Show the pending faults."""
    state = LabStore(scenario).load()
    for f in state.faults:
        click.echo(faults.describe(f))
    if not state.faults:
        click.echo("no faults")


@fault.command("clear")
@SCENARIO
def fault_clear(scenario: str) -> None:
    """Remove every pending fault."""
    with LabStore(scenario).transaction() as state:
        n = faults.clear(state)
    click.echo(f"cleared {n} fault(s)")


def _add(scenario: str, fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with LabStore(scenario).transaction() as state:
        f = fn(state, *args, **kwargs)
    click.echo(f"{scenario}: {faults.describe(f)}")
