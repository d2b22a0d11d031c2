"""``fxkit runbooks``: what runbooks there are, and what each changes."""

from __future__ import annotations

import re
from pathlib import Path

import click

PACKAGE = Path(__file__).resolve().parents[1]
# The seminar notebooks, one folder per edition (en/, fr/): shipped in the wheel as
# fxkit/notebooks/, else a checkout's notebooks/.
NOTEBOOKS = (PACKAGE / "notebooks", PACKAGE.parent / "notebooks")
SEMINAR = re.compile(r"\d\d-[a-z0-9-]+\.ipynb")


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def runbooks(ctx: click.Context) -> None:
    """List the runbooks, one line each; `fxkit runbooks show NAME` for one in full."""
    if ctx.invoked_subcommand is not None:
        return
    from fxkit.runbook.catalog import available_runbooks, describe

    names = available_runbooks()
    width = max((len(n) for n in names), default=0)
    for name in names:
        info = describe(name)
        kind = "read-only" if info.read_only else "changes"
        click.echo(f"{name:<{width}}  {kind:<9}  {info.title}")
    if not names:
        click.echo("no runbooks found (is fxkit installed with its package data?)")


@runbooks.command()
@click.argument("name")
def show(name: str) -> None:
    """NAME's title, what it changes, its parameters (type, default, meaning), how to run it."""
    from fxkit.runbook.catalog import describe

    info = describe(name)
    click.echo(f"{info.name}: {info.title}")
    click.echo(f"file:     {info.path}")
    click.echo(f"changes:  {info.changes or '(not said)'}")
    click.echo("parameters:")
    width = max((len(s.name) for s in info.parameters.values()), default=0)
    for spec in info.parameters.values():
        click.echo(f"  {spec.name:<{width}}  {spec.type:<5} default {spec.default:<14} "
                   f"{spec.help}".rstrip())
    extra = [f"-p {s.name} {s.default.strip(chr(34))}" for s in info.parameters.values()
             if s.name not in ("host", "apply", "sudo", "confirm")][:2]
    click.echo(f"run it:   fxkit run {info.name} --host lab {' '.join(extra)}".rstrip()
               + "   (dry-run; add --apply to change the host)")
