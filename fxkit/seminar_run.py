"""Regenerate the seminar notebooks: each executed in place with nbclient on a fresh lab.

    python -m fxkit.seminar --execute                      # every notebooks/NN-*.ipynb
    python -m fxkit.seminar --execute notebooks/01-lvm.ipynb
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

SOURCE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def seminar_notebooks(directory: Path | None = None) -> list[Path]:
    """The course, in order: ``NN-name.ipynb`` files."""
    base = directory or (Path("notebooks") if Path("notebooks").is_dir() else SOURCE_NOTEBOOKS)
    return sorted(p for p in base.glob("[0-9][0-9]-*.ipynb"))


def build_notebook(source: Path, target: Path) -> None:
    """Write ``target`` (no outputs) from a percent-format source (``# %%`` cell markers).

    ``# %% [markdown]`` starts a Markdown cell (its lines lose their leading ``# ``);
    ``# %% tags=["a", "b"]`` starts a code cell with those tags.
    """
    import json

    import nbformat

    cells: list = []
    kind: str | None = None
    tags: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#")
                             for ln in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            cell = nbformat.v4.new_code_cell(text)
            if tags:
                cell.metadata["tags"] = tags
            cells.append(cell)

    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            flush()
            rest = line[4:].strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            tags = json.loads(rest.partition("=")[2]) if rest.startswith("tags=") else []
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    for n, cell in enumerate(cells):  # stable ids: diffs stay small when regenerating
        cell["id"] = f"{source.stem[:2]}-{n:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fxkit.seminar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--execute", action="store_true",
                        help="execute the notebooks in place, each on a freshly reset lab")
    parser.add_argument("--build", action="store_true",
                        help="first rebuild NN-*.ipynb from notebooks/src/NN-*.py")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN-*.ipynb")
    args = parser.parse_args(argv)
    if not (args.execute or args.build):
        parser.print_help()
        return 2
    if args.build:
        base = Path("notebooks") if Path("notebooks").is_dir() else SOURCE_NOTEBOOKS
        wanted = {p.stem for p in args.notebooks}
        for src in sorted((base / "src").glob("[0-9][0-9]-*.py")):
            if not wanted or src.stem in wanted:
                build_notebook(src, base / f"{src.stem}.ipynb")
                print(f"built {base / src.stem}.ipynb from {src}")
        if not args.execute:
            return 0
    paths = args.notebooks or seminar_notebooks()
    if not paths:
        print("no notebooks found (looked for notebooks/NN-*.ipynb)", file=sys.stderr)
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
