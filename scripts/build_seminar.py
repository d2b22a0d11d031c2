"""Build the seminar notebooks from their sources, then execute each one on a fresh lab.

The sources are notebooks/src/NN-name.py in jupytext's percent format (`# %%` starts a
code cell, `# %% [markdown]` a Markdown cell, `# %% tags=["raises-exception"]` a code
cell with tags); jupytext reads them. The stored notebooks/NN-name.ipynb keep their
outputs: --execute runs each one in place with nbclient, its kernel on a brand-new
lab, audit log and runs directory. Run it with the project's virtualenv, from any directory:

    python scripts/build_seminar.py --build --execute                          # all
    python scripts/build_seminar.py --build --execute notebooks/01-lvm.ipynb   # one
    python scripts/build_seminar.py --build          # cells only, outputs dropped
    python scripts/build_seminar.py --execute        # re-run the stored notebooks

Review the diff of the outputs afterwards: that is the point of storing them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = NOTEBOOKS / "src"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# What jupytext records in a cell's metadata only to write the same text back (blank lines
# before the next cell, the marker used): the .py is the source here, never written back
# (the same list as jupytext.cell_metadata._JUPYTEXT_CELL_METADATA).
JUPYTEXT_LAYOUT = ("cell_marker", "lines_to_next_cell", "lines_to_end_of_cell_marker",
                   "skipline", "noskipline")


def seminar_notebooks(directory: Path | None = None) -> list[Path]:
    """The course, in order: ``NN-name.ipynb`` files (default: this repository's)."""
    return sorted((directory or NOTEBOOKS).glob("[0-9][0-9]-*.ipynb"))


def seminar_sources(directory: Path | None = None) -> list[Path]:
    """The sources, in order: ``NN-name.py`` files (default: this repository's)."""
    return sorted((directory or SOURCES).glob("[0-9][0-9]-*.py"))


def read_source(source: Path) -> Any:
    """The notebook (no outputs) that jupytext reads from a percent-format ``source``.

    Kept from jupytext: the cells, their kinds, sources and metadata (tags, a title
    after `# %%`...). Dropped: its layout hints (``JUPYTEXT_LAYOUT``) and its
    ``jupytext`` notebook metadata, which describe the .py, not the notebook. Added: the
    Python 3 kernel and stable cell ids ``NN-nnn``, so that rebuilding an unchanged
    source changes nothing.
    """
    import jupytext

    nb = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("kernelspec", dict(KERNELSPEC))
    nb.metadata.setdefault("language_info", {"name": "python"})
    for n, cell in enumerate(nb.cells):
        for key in JUPYTEXT_LAYOUT:
            cell.metadata.pop(key, None)
        cell["id"] = f"{source.stem[:2]}-{n:03d}"
    return nb


def build_notebook(source: Path, target: Path) -> None:
    """Write ``target`` (no outputs) from the percent-format ``source`` (see read_source)."""
    import nbformat

    nb = read_source(source)
    nbformat.validate(nb)
    nbformat.write(nb, target)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def solution_problems(nb: Any) -> list[str]:
    """Checks that fail after a "Solution" heading: the course's own answer is wrong there."""
    found, in_solution = [], False
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            in_solution = in_solution or "### Solution" in cell.source
            continue
        for output in cell.get("outputs", []) if in_solution else []:
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if "❌" in "".join(text):
                found.append(f"cell {n}: {''.join(text).strip()}")
    return found


def coalesce_streams(nb: Any) -> None:
    """Merge consecutive stdout (or stderr) outputs: how the kernel happened to flush its
    buffers is not part of what a cell shows (nbval compares them merged, too)."""
    for cell in nb.cells:
        merged: list[Any] = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (output.get("output_type") == "stream" and last is not None
                    and last.get("output_type") == "stream" and last["name"] == output["name"]):
                last["text"] += output["text"]
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged


def stable_widget_ids(nb: Any, prefix: str) -> None:
    """Rename the random widget model ids to ``PREFIX-wNNN``, numbered in a fixed order
    (outputs first, then the models they reference), so that re-executing a notebook
    does not rewrite its widget state for nothing."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in state and model_id not in order:
            order.append(model_id)
            for _key, value in sorted(state[model_id].get("state", {}).items()):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str) and item.startswith("IPY_MODEL_"):
                        visit(item[len("IPY_MODEL_"):])

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])
    order += sorted(set(state) - set(order), key=lambda m: json.dumps(state[m], sort_keys=True))
    names = {old: f"{prefix}-w{n:03d}" for n, old in enumerate(order)}
    text = json.dumps(nb)
    for old, new in names.items():
        text = text.replace(old, new)
    fixed = json.loads(text)
    fixed["metadata"]["widgets"][WIDGET_STATE]["state"] = dict(
        sorted(fixed["metadata"]["widgets"][WIDGET_STATE]["state"].items()))
    import nbformat

    nb.clear()
    nb.update(nbformat.from_dict(fixed))


def fresh_environment(base: Path) -> dict[str, str]:
    """Environment for a kernel that sees a brand-new lab, audit log and runs directory."""
    return {"FXKIT_LAB_DIR": str(base / "lab"), "FXKIT_AUDIT_LOG": str(base / "audit.jsonl"),
            "FXKIT_RUNS_DIR": str(base / "runs"), "XDG_STATE_HOME": str(base / "state"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def execute_notebook(path: Path, *, timeout: int = 300, kernel: str = "python3") -> float:
    """Execute ``path`` in place against a fresh lab; return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="fxkit-seminar-") as tmp:
        os.environ.update(fresh_environment(Path(tmp)))
        try:
            client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                                    record_timing=False, allow_errors=False,
                                    resources={"metadata": {"path": str(path.parent)}})
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    coalesce_streams(nb)
    stable_widget_ids(nb, path.stem[:2])
    nbformat.write(nb, path)
    if problems := solution_problems(nb):
        raise RuntimeError(f"{path}: a check fails after the solution:\n" + "\n".join(problems))
    return time.monotonic() - start


def _build(notebooks: Sequence[Path]) -> list[Path]:
    """Build the given notebooks (default: one per source); return them."""
    if not_notebooks := [str(p) for p in notebooks if p.suffix != ".ipynb"]:
        raise ValueError("give the notebooks to build, not their sources: "
                         + ", ".join(not_notebooks))
    if notebooks:
        pairs = [(SOURCES / f"{path.stem}.py", path) for path in notebooks]
    else:
        pairs = [(src, NOTEBOOKS / f"{src.stem}.ipynb") for src in seminar_sources()]
    if missing := [str(src) for src, _ in pairs if not src.is_file()]:
        raise FileNotFoundError("no source for that notebook: " + ", ".join(missing))
    for src, target in pairs:
        build_notebook(src, target)
        print(f"built {target} from {src}")
    return [target for _, target in pairs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/build_seminar.py",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="store_true",
                        help="rebuild each notebook from notebooks/src/NN-name.py "
                             "(jupytext's percent format); its outputs are dropped")
    parser.add_argument("--execute", action="store_true",
                        help="then execute the notebooks in place, each on a freshly reset "
                             "lab, and store the outputs")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell "
                        "(default: %(default)s)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks/NN-name.ipynb files (default: all of the course)")
    args = parser.parse_args(argv)
    if not (args.execute or args.build):
        parser.print_help()
        return 2
    paths = list(args.notebooks)
    if args.build:
        try:
            paths = _build(paths)
        except (FileNotFoundError, ValueError) as e:
            print(e, file=sys.stderr)
            return 1
        if not args.execute:
            return 0
    paths = paths or seminar_notebooks()
    if not paths:
        print(f"no notebooks found (looked for {NOTEBOOKS}/NN-*.ipynb)", file=sys.stderr)
        return 1
    for path in paths:
        print(f"executing {path} ...", flush=True)
        try:
            seconds = execute_notebook(path, timeout=args.timeout)
        except Exception as e:  # CellExecutionError and friends: say which notebook
            print(f"FAILED {path}: {e}", file=sys.stderr)
            return 1
        print(f"  done in {seconds:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
