"""The ``fxkit`` command line. Subcommands live in their own modules, loaded on use."""

from __future__ import annotations

import importlib
import sys

import click

from fxkit.errors import FxkitError

# name -> "module:attribute"; a module that does not exist yet is simply not listed.
SUBCOMMANDS = {
    "inventory": "fxkit.cli.inventory:inventory",
    "demo": "fxkit.cli.demo:demo",
    "audit": "fxkit.cli.audit:audit",
    "lab": "fxkit.cli.lab:lab",
    "lvm": "fxkit.cli.lvm:lvm",
    "xen": "fxkit.cli.xen:xen",
    "net": "fxkit.cli.net:net",
    "doctor": "fxkit.cli.doctor:doctor",
    "run": "fxkit.cli.runbook:run",
    "runs": "fxkit.cli.runbook:runs",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in SUBCOMMANDS if self._load(n) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name == module:
                return None
            raise
        return getattr(mod, attr, None)


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
