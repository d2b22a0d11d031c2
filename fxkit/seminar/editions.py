"""The seminar's editions: the trainer's keeps the solutions, the student's has none.

Solution cells carry the tag ``solution`` (nbgrader's convention of solution regions
stripped for students, kept simple: whole cells). ``student_edition(nb)`` drops them;
``copy_edition`` writes a folder of notebooks of either edition (what ``fxkit seminar copy``
and the hub hand out).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from fxkit.errors import InvalidRequest

SOLUTION_TAG = "solution"
SEMINAR = re.compile(r"\d\d-[a-z0-9-]+\.ipynb")
PACKAGE = Path(__file__).resolve().parents[1]
# shipped in the wheel as fxkit/notebooks/, else a checkout's notebooks/
SOURCES = (PACKAGE / "notebooks", PACKAGE.parent / "notebooks")


def is_solution(cell: Any) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def student_edition(nb: Any) -> Any:
    """``nb`` without its solution cells (a copy; the notebook given is not changed)."""
    import copy

    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if not is_solution(c)]
    out.metadata.setdefault("fxkit_seminar", {})["edition"] = "student"
    return out


def seminar_notebooks(folder: Path) -> list[Path]:
    """The seminar's notebooks under ``folder`` (any edition folder), in order."""
    return sorted((p for p in folder.glob("**/*.ipynb") if SEMINAR.fullmatch(p.name)
                   and ".ipynb_checkpoints" not in p.parts), key=lambda p: (p.parent, p.name))


def installed_notebooks() -> Path:
    source = next((d for d in SOURCES if d.is_dir() and seminar_notebooks(d)), None)
    if source is None:
        raise InvalidRequest("the seminar notebooks are not installed with this fxkit "
                             "(looked in " + ", ".join(str(d) for d in SOURCES) + ")")
    return source


def copy_edition(target: Path, *, lang: str | None = None, trainer: bool = False,
                 force: bool = False) -> list[Path]:
    """Copy the seminar (each edition folder en/, fr/; or one ``lang`` straight into
    ``target``), as the student edition unless ``trainer``. Returns the files written."""
    import nbformat

    source = installed_notebooks()
    editions = sorted({p.parent.name for p in seminar_notebooks(source) if p.parent != source})
    if lang is not None:
        if lang not in editions:
            raise InvalidRequest(f"no {lang!r} edition of the seminar: there are "
                                 f"{', '.join(editions) or 'no editions'}")
        source = source / lang
    found = {p.relative_to(source): p for p in seminar_notebooks(source)}
    clash = [str(rel) for rel in found if (target / rel).exists()]
    if clash and not force:
        raise InvalidRequest(f"{target} already has {', '.join(clash)}: nothing copied. Use "
                             "another directory, or --force to overwrite them")
    written = []
    for rel, path in found.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        if trainer:
            shutil.copyfile(path, target / rel)
        else:
            nbformat.write(student_edition(nbformat.read(path, as_version=4)), target / rel)
        written.append(target / rel)
    return written
