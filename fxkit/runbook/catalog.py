"""Which runbooks there are, where their files are, and what each one says it does.

Runbooks are looked up in ``$FXKIT_RUNBOOKS`` (``:``-separated), ``./runbooks``, the
source tree's ``runbooks/`` and the copy shipped inside the installed package::

    >>> "lv-extend" in available_runbooks()
    True
    >>> describe("lv-extend").title
    'Extend a logical volume and its filesystem'
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fxkit.errors import RunbookError
from fxkit.runbook.params import ParamSpec, read_specs

PACKAGE = Path(__file__).resolve().parents[1]   # the installed fxkit/
SHIPPED = PACKAGE / "runbooks"                  # the wheel's copy of runbooks/
SOURCE_TREE = PACKAGE.parent / "runbooks"       # a checkout (or an editable install)


def runbooks_dirs() -> list[Path]:
    """Where runbooks are looked up, first match wins."""
    dirs = [Path(p) for p in os.environ.get("FXKIT_RUNBOOKS", "").split(os.pathsep) if p]
    dirs += [Path("runbooks"), SOURCE_TREE, SHIPPED]
    return [d for d in dirs if d.is_dir()]


def available_runbooks() -> list[str]:
    return sorted({p.stem for d in runbooks_dirs() for p in d.glob("*.ipynb")})


def find_runbook(name_or_path: str | Path) -> Path:
    """The notebook for a runbook name (``lv-create``) or path; ``RunbookError`` if none."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    name = str(name_or_path)
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        for d in runbooks_dirs():
            if (d / f"{name}.ipynb").is_file():
                return d / f"{name}.ipynb"
    raise RunbookError(f"no runbook {name!r}. Available: {', '.join(available_runbooks())} "
                       "(`fxkit runbooks` lists them; or give a path to an .ipynb)")


@dataclass(frozen=True)
class RunbookInfo:
    """What ``fxkit runbooks`` shows: a runbook's title, what it changes, its parameters."""

    name: str
    path: Path
    title: str
    changes: str
    parameters: dict[str, ParamSpec]

    @property
    def read_only(self) -> bool:
        return self.changes.lower().startswith(("nothing", "read-only"))


def describe(name_or_path: str | Path) -> RunbookInfo:
    """A runbook's title (its first heading) and the "What it changes" of its first cell."""
    import nbformat
    path = find_runbook(name_or_path)
    nb = nbformat.read(path, as_version=4)
    intro = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((ln.lstrip("# ").strip() for ln in intro.splitlines() if ln.startswith("#")),
                 path.stem)
    return RunbookInfo(path.stem, path, title, _section(intro, "What it changes"),
                       read_specs(path))


def _section(markdown: str, label: str) -> str:
    """The paragraph of ``**label:** ...`` in a runbook's first cell, as one line."""
    match = re.search(rf"\*\*{re.escape(label)}:\*\*(.*?)(\n\s*\n|\Z)", markdown, re.DOTALL)
    return " ".join(match.group(1).split()) if match else ""


def git_revision(path: Path) -> str:
    """The last commit touching ``path``, with ``+dirty`` if it has uncommitted edits."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(path.parent.resolve()), *args],
                                  capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""
    rev = git("log", "-1", "--format=%H", "--", path.name)
    if not rev:
        return "untracked"
    return rev + ("+dirty" if git("status", "--porcelain", "--", path.name) else "")
