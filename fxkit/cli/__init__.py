"""The ``fxkit`` command line. Subcommands live in their own modules, loaded on use."""

from __future__ import annotations

import importlib
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
    "runs": ("fxkit.cli.runbook:runs", "List, show and verify past runbook runs."),
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
def cli() -> None:
    """fxkit: runbooks and training for a Xen host on LVM and Linux bridges.

    HOST is 'lab' (the simulated fx, the default), 'local', an ssh_config
    alias, or ssh://user@host:port. Everything that changes a host is a
    dry-run unless you pass --apply; destroying something also needs
    --confirm NAME.
    """


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except FxkitError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
