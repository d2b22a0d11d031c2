"""Who runs this notebook, which notebook it is, and which lab is theirs.

The trainee is ``$FXKIT_TRAINEE``, else ``$JUPYTERHUB_USER`` (JupyterHub gives it to every
server and kernel it starts), else the Unix user; the notebook is what
``seminar.start(notebook="01")`` said. Their lab is ``fxkit.lab.lab_dir()``.
"""

from __future__ import annotations

import getpass
import os

_session: dict[str, str | None] = {"notebook": None}


def current_trainee() -> str:
    """The trainee's name (see the module)."""
    return (os.environ.get("FXKIT_TRAINEE") or os.environ.get("JUPYTERHUB_USER")
            or getpass.getuser())


def current_notebook() -> str | None:
    """The notebook this kernel runs ("01"), once ``seminar.start`` said it."""
    return _session["notebook"]


def set_notebook(notebook: str | None) -> None:
    _session["notebook"] = notebook
