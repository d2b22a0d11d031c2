"""``fxkit seminar``: hand out the notebooks, run a room on JupyterHub, watch and reset it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def seminar() -> None:
    """The onboarding seminar: its notebooks, a room on JupyterHub, progress, checkpoints."""


@seminar.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lang", default=None, metavar="EDITION",
              help="Copy one edition only (en, fr), straight into DIRECTORY.")
@click.option("--trainer", is_flag=True,
              help="The trainer edition, with the solutions (default: the student edition, "
                   "without them).")
@click.option("--force", is_flag=True, help="Overwrite notebooks already in DIRECTORY.")
def copy(directory: str, lang: str | None, trainer: bool, force: bool) -> None:
    """Copy the seminar notebooks (00-welcome ... 05-runbooks, each edition in its own
    folder: en/, fr/) into DIRECTORY, to open them in JupyterLab
    (`pip install 'fxkit[seminar]'`, then `jupyter lab DIRECTORY`). The student edition has
    no solution cells; --trainer keeps them."""
    from fxkit.seminar.editions import copy_edition

    target = Path(directory)
    written = copy_edition(target, lang=lang, trainer=trainer, force=force)
    rel = [str(p.relative_to(target)) for p in written]
    click.echo(f"{len(rel)} notebooks copied to {target}/ "
               f"({'trainer' if trainer else 'student'} edition): {', '.join(rel)}")
    click.echo(f"open them: jupyter lab {target / min(rel)}   "
               "(needs: pip install 'fxkit[seminar]')")


@seminar.command("reset-to")
@click.argument("notebook")
@click.option("--trainee", default=None, metavar="NAME",
              help="Whose lab (default: yours): the trainee's lab in the seminar directory "
                   "($FXKIT_SEMINAR_DIR, as `fxkit seminar hub --dir` sets it up).")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="The room's directory (`fxkit seminar hub --dir`).")
def reset_to(notebook: str, trainee: str | None, directory: str | None) -> None:
    """Put a lab at the start of NOTEBOOK (00 to 05), as if the notebooks before it were
    done. What the lab held is lost."""
    from fxkit.lab.store import lab_dir, trainee_lab_dir
    from fxkit.seminar.checkpoints import check_notebook, install_checkpoint

    _room(directory)
    number = check_notebook(notebook)
    root = trainee_lab_dir(trainee) if trainee else lab_dir()
    if trainee and not (root.parent.is_dir()):
        from fxkit.errors import InvalidRequest
        raise InvalidRequest(f"no seminar labs in {root.parent}: give the room with --dir, "
                             "or set FXKIT_SEMINAR_DIR")
    install_checkpoint(number, root)
    click.echo(f"lab {root} is now at the start of notebook {number}")


@seminar.command()
@click.option("--json", "as_json", is_flag=True, help="The grid as JSON.")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="The room's directory (`fxkit seminar hub --dir`).")
def progress(as_json: bool, directory: str | None) -> None:
    """Every trainee's checks, trainee x exercise, and who is stuck longest."""
    from fxkit.seminar.progress import progress_grid

    _room(directory)
    grid = progress_grid()
    if as_json:
        click.echo(json.dumps(grid.to_json(), indent=1, ensure_ascii=False))
    elif not grid.trainees:
        click.echo("no check run yet")
    else:
        click.echo(grid.text())


@seminar.command()
@click.option("--trainees", default=3, show_default=True, help="How many trainee accounts.")
@click.option("--port", default=8000, show_default=True, help="The hub's port.")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="The address to serve on (0.0.0.0: the whole room's network).")
@click.option("--dir", "directory", default="seminar-room", show_default=True,
              type=click.Path(file_okay=False), help="The room's directory (homes, labs, "
              "progress, the hub's files); run again on it to keep everyone's work.")
@click.option("--password", default=None, envvar="FXKIT_SEMINAR_PASSWORD",
              help="One session password for every account (default: one generated each).")
@click.option("--lang", default=None, metavar="EDITION", help="Hand out one edition (en, fr).")
@click.option("--prepare-only", is_flag=True,
              help="Write the room and jupyterhub_config.py, print the accounts, start nothing.")
def hub(trainees: int, port: int, ip: str, directory: str, password: str | None,
        lang: str | None, prepare_only: bool) -> None:
    """Serve the seminar to a room with JupyterHub: one account, JupyterLab, student notebooks
    and lab per trainee, and a 'trainer' account with the progress grid."""
    from fxkit.seminar.hub import hub_command, prepare_room

    room = prepare_room(directory, trainees=trainees, port=port, ip=ip, password=password,
                        lang=lang)
    click.echo(f"room: {room.directory}  (config: {room.config})")
    click.echo(f"accounts (also in {room.directory / 'accounts.json'}):")
    for name, secret in room.accounts.items():
        click.echo(f"  {name:<12} {secret}")
    click.echo(f"progress: fxkit seminar progress --dir {room.directory}")
    if prepare_only:
        click.echo(f"start it: {' '.join(hub_command(room))}   (from {room.directory / 'hub'})")
        return
    click.echo(f"serving {room.url}/  (Ctrl+C stops the hub and every trainee's server)",
               nl=True)
    argv = hub_command(room)
    os.chdir(room.directory / "hub")
    os.execv(argv[0], argv)


def _room(directory: str | None) -> None:
    """Point this process at a room's seminar directory."""
    if directory is not None:
        os.environ["FXKIT_SEMINAR_DIR"] = str(Path(directory).resolve() / "seminar")
