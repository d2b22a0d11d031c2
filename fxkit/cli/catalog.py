"""``fxkit runbooks`` (what runbooks there are, what each changes) and ``fxkit seminar copy``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click

from fxkit.errors import InvalidRequest

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def seminar() -> None:
    """The onboarding seminar's notebooks."""


@seminar.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lang", default=None, metavar="EDITION",
              help="Copy one edition only (en, fr), straight into DIRECTORY.")
@click.option("--force", is_flag=True, help="Overwrite notebooks already in DIRECTORY.")
def copy(directory: str, lang: str | None, force: bool) -> None:
    """Copy the seminar notebooks (00-welcome ... 05-runbooks, each edition in its own
    folder: en/, fr/) into DIRECTORY, to open them in JupyterLab
    (`pip install 'fxkit[seminar]'`, then `jupyter lab DIRECTORY`)."""
    source = next((d for d in NOTEBOOKS if d.is_dir() and _notebooks(d)), None)
    if source is None:
        raise InvalidRequest("the seminar notebooks are not installed with this fxkit "
                             "(looked in " + ", ".join(str(d) for d in NOTEBOOKS) + ")")
    editions = sorted({p.parent.name for p in _notebooks(source) if p.parent != source})
    if lang is not None:
        if lang not in editions:
            raise InvalidRequest(f"no {lang!r} edition of the seminar: there are "
                                 f"{', '.join(editions) or 'no editions'}")
        source = source / lang
    target = Path(directory)
    found = {p.relative_to(source): p for p in _notebooks(source)}
    clash = [str(rel) for rel in found if (target / rel).exists()]
    if clash and not force:
        raise InvalidRequest(f"{target} already has {', '.join(clash)}: nothing copied. Use "
                             "another directory, or --force to overwrite them")
    for rel, path in found.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)
    click.echo(f"{len(found)} notebooks copied to {target}/: {', '.join(map(str, found))}")
    first = min(found, key=str)
    click.echo(f"open them: jupyter lab {target / first}   "
               "(needs: pip install 'fxkit[seminar]')")


def _notebooks(folder: Path) -> list[Path]:
    """The seminar's notebooks under ``folder`` (any edition folder), in order."""
    return sorted((p for p in folder.glob("**/*.ipynb") if SEMINAR.fullmatch(p.name)
                   and ".ipynb_checkpoints" not in p.parts), key=lambda p: (p.parent, p.name))
