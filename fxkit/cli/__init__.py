"""The ``fxkit`` command line. Subcommands live in their own modules, loaded on use.

Exit status (``fxkit.cli.exits``): 0 done, 1 failed, 2 usage, 3 refused, 4 host
unreachable, 130 interrupted. ``NO_COLOR`` (set and not empty) turns colour off.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from fxkit.errors import FxkitError

# name -> ("module:attribute", one-line help). Modules load only when their command runs,
# so `fxkit --help` and `fxkit lab status` stay fast.
SUBCOMMANDS = {
    "audit": ("fxkit.cli.audit:audit", "Read and verify the audit log of every command run."),
    "demo": ("fxkit.cli.demo:demo", "The main job on the lab: inventory, plan, runbook, record."),
    "doctor": ("fxkit.cli.doctor:doctor", "Cross-check a host's LVM, Xen and network state."),
    "inventory": ("fxkit.cli.inventory:inventory", "A host's VGs, LVs, domains and bridges."),
    "lab": ("fxkit.cli.lab:lab", "The simulated fx: start, stop, reset, faults; --real for Xen."),
    "lvm": ("fxkit.cli.lvm:lvm", "LVM facts, and plans to create, extend, snapshot, remove."),
    "net": ("fxkit.cli.net:net", "Bridges, vifs and uplinks: facts, plans, drift, diagram."),
    "run": ("fxkit.cli.runbook:run", "Run a maintenance runbook (dry-run unless --apply)."),
    "runbooks": ("fxkit.cli.catalog:runbooks", "The runbooks: one line each; show NAME."),
    "runs": ("fxkit.cli.runbook:runs", "List, show and verify past runbook runs."),
    "seminar": ("fxkit.cli.seminar:seminar", "The seminar: notebooks, a room on JupyterHub, "
                                             "progress, checkpoints."),
    "sudoers": ("fxkit.cli.sudoers:sudoers", "The sudoers rule for a user who runs fxkit "
                                             "with --sudo."),
    "xen": ("fxkit.cli.xen:xen", "Xen domains: list, configs, create, remove, lifecycle."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        module, _, attr = SUBCOMMANDS[name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help) for name, (_, help) in sorted(SUBCOMMANDS.items())])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fxkit")
@click.option("-v", "--verbose", is_flag=True,
              help="Say on standard error how each host is reached: whether `ssh -G` or "
                   "Paramiko's parser resolved its ssh_config (and each ProxyJump hop).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """fxkit: runbooks and training for a Xen host on LVM and Linux bridges.

    HOST is 'lab' (the simulated fx, the default), 'local', an ssh_config
    alias, or ssh://user@host:port. Everything that changes a host is a
    dry-run unless you pass --apply; destroying something also needs
    --confirm NAME.

    On a host where you log in as an ordinary user, add --sudo: every
    command then runs through `sudo -n` (README: Real hosts has the sudoers
    rule; `fxkit sudoers USER` prints it). -F FILE reads another ssh_config,
    --accept-new-host-key records an unknown host key.
    """
    if verbose:
        from fxkit.cli.hostopts import show_ssh_resolution
        show_ssh_resolution(ctx)


def colour() -> bool | None:
    """False when NO_COLOR asks for no colour (https://no-color.org), else click decides."""
    return False if os.environ.get("NO_COLOR") else None


def program_name() -> str:
    """What usage lines call this command: ``fxkit``, or ``python -m fxkit`` (click's rule)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return f"python -m {spec.name.removesuffix('.__main__')}"
    return os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "fxkit")


def main(prog_name: str | None = None) -> None:
    if sys.argv[1:2] == ["run"]:
        from fxkit.cli import spare
        # a spare runner has done the imports: it runs the whole command
        handed = spare.hand_over(sys.argv, prog_name or program_name())
        if handed is not None:
            sys.exit(handed)
    from fxkit.cli import exits
    from fxkit.secrets import mask  # every error shown passes through it: no secret leaks

    try:
        cli.main(standalone_mode=False, color=colour(), prog_name=prog_name or program_name())
    except click.exceptions.Abort as e:
        interrupted = isinstance(e.__cause__, KeyboardInterrupt)
        click.echo("Interrupted." if interrupted else "Aborted.", err=True)
        sys.exit(exits.INTERRUPTED if interrupted else exits.FAILED)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(exits.INTERRUPTED)
    except click.ClickException as e:
        e.message = mask(e.message)
        e.show()
        sys.exit(e.exit_code)
    except FxkitError as e:
        click.secho(f"error: {mask(str(e))}", fg="red", err=True, color=colour())
        sys.exit(exits.for_exception(e))
    except SystemExit:
        raise
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except OSError as e:      # a file or socket of the user's: not a bug, say what failed
        click.secho(f"error: {mask(str(e))}", fg="red", err=True, color=colour())
        sys.exit(exits.FAILED)
    except Exception as e:    # a bug: one masked line, the traceback only when asked for
        if os.environ.get("FXKIT_DEBUG"):
            raise
        click.secho(f"internal error: {type(e).__name__}: {mask(str(e))}. This is a bug in "
                    "fxkit: run the command again with FXKIT_DEBUG=1 for the traceback, and "
                    "report it with that output", fg="red", err=True, color=colour())
        sys.exit(exits.FAILED)
