"""The seminar's progress log: every check a trainee runs, and the trainer's grid of it.

Each ``check_*`` appends one JSON line to ``<seminar dir>/progress.jsonl`` (trainee,
notebook, exercise, passed, time, the hint shown), under an ``fcntl`` lock so that a room of
kernels never interleaves lines. ``progress_grid()`` reads it back: one row per trainee, one
column per exercise, the last result in each cell, and who has been stuck longest::

    >>> print(progress_grid().text())                       # doctest: +SKIP
    trainee  01 lvm/data
    alice    PASS
    bob      FAIL x2  (stuck 3 min: it is 1.00 GiB, the exercise asks for 3.00 GiB)
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fxkit.seminar.trainee import current_notebook, current_trainee


def progress_log() -> Path:
    """``<seminar dir>/progress.jsonl`` (``$FXKIT_SEMINAR_DIR``, see fxkit.lab.store)."""
    from fxkit.lab.store import seminar_dir

    return seminar_dir() / "progress.jsonl"


def record_check(passed: bool, exercise: str, message: str, hints: list[str]) -> None:
    """Append one check's result for this trainee and notebook. A log that cannot be
    written never breaks the check: the trainee still sees it, the trainer misses it."""
    entry = {"trainee": current_trainee(), "notebook": current_notebook() or "-",
             "exercise": exercise, "passed": bool(passed), "time": round(time.time(), 3),
             "message": message, "hint": "; ".join(hints)}
    path = progress_log()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def read_progress(path: Path | None = None) -> list[dict[str, Any]]:
    """Every recorded check, oldest first (a torn last line is skipped)."""
    try:
        lines = (path or progress_log()).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@dataclass
class Cell:
    """One trainee's results on one exercise: the last one counts."""

    passed: bool
    attempts: int
    first: float
    last: float
    hint: str

    def label(self) -> str:
        return "PASS" if self.passed else f"FAIL x{self.attempts}" if self.attempts > 1 \
            else "FAIL"


@dataclass
class Grid:
    """Trainees x exercises; ``stuck`` lists (trainee, exercise, seconds, hint), longest first."""

    trainees: list[str]
    exercises: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    now: float = field(default_factory=time.time)

    @property
    def stuck(self) -> list[tuple[str, str, float, str]]:
        found = [(t, e, self.now - c.first, c.hint) for (t, e), c in self.cells.items()
                 if not c.passed]
        return sorted(found, key=lambda s: -s[2])

    def to_json(self) -> dict[str, Any]:
        return {"trainees": self.trainees, "exercises": self.exercises,
                "cells": [{"trainee": t, "exercise": e, "passed": c.passed,
                           "attempts": c.attempts, "hint": c.hint, "last": c.last}
                          for (t, e), c in sorted(self.cells.items())],
                "stuck": [{"trainee": t, "exercise": e, "seconds": round(s), "hint": h}
                          for t, e, s, h in self.stuck]}

    def text(self) -> str:
        rows = [["trainee", *self.exercises]]
        for t in self.trainees:
            rows.append([t, *(self.cells[t, e].label() if (t, e) in self.cells else "-"
                              for e in self.exercises)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        for t, e, s, h in self.stuck:
            lines.append(f"stuck: {t} on {e} for {_duration(s)}" + (f" (hint: {h})" if h else ""))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(e)}</th>" for e in self.exercises)
        body = []
        for t in self.trainees:
            tds = []
            for e in self.exercises:
                c = self.cells.get((t, e))
                kind = "none" if c is None else "pass" if c.passed else "fail"
                tip = html.escape(c.hint) if c is not None else ""
                text = "-" if c is None else c.label()
                tds.append(f"<td class='fxkit-progress-{kind}' title='{tip}'>"
                           f"{html.escape(text)}</td>")
            body.append(f"<tr><th>{html.escape(t)}</th>{''.join(tds)}</tr>")
        stuck = "".join(f"<li>{html.escape(t)} on {html.escape(e)} for {_duration(s)}"
                        f"{': ' + html.escape(h) if h else ''}</li>"
                        for t, e, s, h in self.stuck)
        stuck_html = f"<p>Stuck, longest first:</p><ul>{stuck}</ul>" if stuck else ""
        return (f"<div class='fxkit-progress'><table><tr><th>trainee</th>{head}</tr>"
                f"{''.join(body)}</table>{stuck_html}</div>")


def _duration(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 120 else f"{int(seconds // 60)} min"


def progress_grid(entries: list[dict[str, Any]] | None = None, *,
                  now: float | None = None) -> Grid:
    """The grid of ``entries`` (default: the seminar's log). Exercises are named
    ``NN key`` (notebook, then what the check looks at), in the order first seen."""
    entries = read_progress() if entries is None else entries
    grid = Grid([], [], now=time.time() if now is None else now)
    for e in entries:
        t, ex = str(e.get("trainee")), f"{e.get('notebook', '-')} {e.get('exercise')}"
        if t not in grid.trainees:
            grid.trainees.append(t)
        if ex not in grid.exercises:
            grid.exercises.append(ex)
        cell = grid.cells.get((t, ex))
        when, passed = float(e.get("time", 0)), bool(e.get("passed"))
        if cell is None or cell.passed and not passed:
            grid.cells[t, ex] = Cell(passed, 1, when, when, str(e.get("hint", "")))
        else:       # still failing, or passed now: the first failure still dates the trouble
            cell.passed, cell.last, cell.hint = passed, when, str(e.get("hint", ""))
            cell.attempts += 1
    grid.trainees.sort()
    seen = list(grid.exercises)
    grid.exercises.sort(key=lambda x: (x.split(" ", 1)[0], seen.index(x)))
    return grid
