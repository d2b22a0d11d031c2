"""A room on one machine: JupyterHub and its proxy, one JupyterLab and one lab per trainee.

``prepare_room(directory, trainees=3)`` writes everything the hub needs into ``directory``::

    jupyterhub_config.py   the hub's configuration (read it: it is the documentation)
    accounts.json          name -> password, for the hub's authenticator (mode 0600)
    homes/<name>/          each trainee's notebooks: the student edition, en/ and fr/
    homes/trainer/         the trainer edition, and trainer.ipynb (the live progress grid)
    seminar/               labs/<name>/ (each trainee's lab), progress.jsonl
    audit/<name>.jsonl     each trainee's audit log
    hub/                   the hub's database, cookie secret and log

``fxkit seminar hub`` prepares the room, prints the accounts, and runs ``jupyterhub`` on it.
Every single-user server runs as the hub's Unix user (JupyterHub's
SimpleLocalProcessSpawner); what keeps trainees apart is their lab, home and audit log,
not Unix permissions: for a room of colleagues, not of strangers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from fxkit.errors import InvalidRequest
from fxkit.lab.store import check_trainee

TRAINER = "trainer"
MAX_TRAINEES = 60

TRAINER_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "tr-000", "metadata": {}, "source":
         "# The room\n\nEvery check a trainee runs, trainee by exercise: the last result "
         "counts, and who is stuck longest comes first below the grid. It redraws every "
         "5 seconds. `fxkit seminar reset-to NN --trainee NAME` in a terminal puts a "
         "trainee's lab at the start of notebook NN."},
        {"cell_type": "code", "id": "tr-001", "metadata": {}, "execution_count": None,
         "outputs": [], "source": "from fxkit import seminar\n\n"
                                  "seminar.watch_progress(every=5)"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                "language": "python"}, "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@dataclass(frozen=True)
class Room:
    directory: Path
    ip: str
    port: int
    accounts: dict[str, str]

    @property
    def config(self) -> Path:
        return self.directory / "jupyterhub_config.py"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"


def trainee_names(count: int, prefix: str = "trainee") -> list[str]:
    if not 1 <= count <= MAX_TRAINEES:
        raise InvalidRequest(f"--trainees {count}: a room on one machine holds 1 to "
                             f"{MAX_TRAINEES} trainees (each server and kernel costs memory)")
    return [check_trainee(f"{prefix}{n:02d}") for n in range(1, count + 1)]


def prepare_room(directory: str | Path, *, trainees: int = 3, port: int = 8000,
                 ip: str = "127.0.0.1", password: str | None = None, lang: str | None = None,
                 names: list[str] | None = None) -> Room:
    """Write the room into ``directory`` (see the module); existing homes and labs are kept,
    so a hub restarted on the same directory finds every trainee's work. ``password`` is
    one session password for everyone; without it each account gets its own."""
    from fxkit.seminar.editions import copy_edition

    root = Path(directory).resolve()
    people = [check_trainee(n) for n in names] if names else trainee_names(trainees)
    if TRAINER in people:
        raise InvalidRequest(f"{TRAINER!r} is the trainer's account: name trainees otherwise")
    for sub in ("homes", "seminar/labs", "audit", "hub"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    accounts_file = root / "accounts.json"
    old = json.loads(accounts_file.read_text()) if accounts_file.is_file() else {}
    accounts = {name: password or old.get(name) or secrets.token_urlsafe(6)
                for name in [TRAINER, *people]}
    fd = os.open(accounts_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(accounts, fh, indent=1)
    for name in people:
        home = root / "homes" / name
        if not home.is_dir():          # a trainee's own copy: never overwritten
            copy_edition(home / (lang or ""), lang=lang)
    trainer_home = root / "homes" / TRAINER
    if not trainer_home.is_dir():
        copy_edition(trainer_home / (lang or ""), lang=lang, trainer=True)
        (trainer_home / "trainer.ipynb").write_text(json.dumps(TRAINER_NOTEBOOK, indent=1))
    (root / "jupyterhub_config.py").write_text(hub_config(root, port=port, ip=ip))
    return Room(root, ip, port, accounts)


def _tool(name: str) -> str:
    """A console script of this environment (the hub's PATH may not have the venv)."""
    here = Path(sys.executable).with_name(name)
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        raise InvalidRequest(f"{name} is not installed: pip install 'fxkit[hub]'")
    return found


def hub_config(root: Path, *, port: int, ip: str) -> str:
    """The text of jupyterhub_config.py for the room at ``root``."""
    allow_root = ["--allow-root"] if os.geteuid() == 0 else []
    return f'''"""JupyterHub for an fxkit seminar room, written by `fxkit seminar hub`
(safe to edit; rewritten by the next `fxkit seminar hub` on this directory)."""
import hmac
import json
from pathlib import Path

from jupyterhub.auth import Authenticator

ROOM = Path({str(root)!r})


class RoomAuthenticator(Authenticator):
    """The room's accounts: accounts.json, name -> password (one each, or one for all)."""

    async def authenticate(self, handler, data):
        accounts = json.loads((ROOM / "accounts.json").read_text())
        name, given = data.get("username", ""), data.get("password", "")
        want = accounts.get(name)
        if want is not None and hmac.compare_digest(want.encode(), given.encode()):
            return name
        return None


def _env(name):
    return lambda spawner: str(ROOM / name.format(user=spawner.user.name))


c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
c.JupyterHub.bind_url = "http://{ip}:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = "sqlite:///" + str(ROOM / "hub" / "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = str(ROOM / "hub" / "cookie_secret")
c.JupyterHub.pid_file = str(ROOM / "hub" / "jupyterhub.pid")
c.JupyterHub.authenticator_class = RoomAuthenticator
c.Authenticator.allowed_users = set(json.loads((ROOM / "accounts.json").read_text()))
c.Authenticator.admin_users = {{{TRAINER!r}}}
# The proxy: configurable-http-proxy, the Python one from PyPI (no Node needed).
c.ConfigurableHTTPProxy.command = [{_tool("configurable-http-proxy")!r}]
c.ConfigurableHTTPProxy.pid_file = str(ROOM / "hub" / "proxy.pid")
# Every trainee's server runs as this Unix user, in their own home, on their own lab.
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [{_tool("jupyterhub-singleuser")!r}]
c.Spawner.args = {allow_root!r} + [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
    "--LabApp.expose_app_in_browser=True",   # window.jupyterapp: for scripted checks
]
c.SimpleLocalProcessSpawner.home_dir_template = str(ROOM / "homes" / "{{username}}")
c.Spawner.notebook_dir = str(ROOM / "homes" / "{{username}}")
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{
    "FXKIT_SEMINAR_DIR": str(ROOM / "seminar"),      # labs/<name>/ and progress.jsonl
    "FXKIT_LAB_DIR": _env("seminar/labs/{{user}}"),  # = what JUPYTERHUB_USER gives
    "FXKIT_AUDIT_LOG": _env("audit/{{user}}.jsonl"),
    "FXKIT_RUNS_DIR": _env("homes/{{user}}/runs"),
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}}
'''


def hub_command(room: Room) -> list[str]:
    """The argv that runs the room's hub (its working directory: the room's hub/)."""
    return [_tool("jupyterhub"), "-f", str(room.config)]
