"""Build the seminar notebooks, English and French, from one source each; execute them.

The sources are notebooks/src/NN-name.py in jupytext's percent format (`# %%` starts a
code cell, `# %% [markdown]` a Markdown cell, `# %% tags=["raises-exception"]` a code
cell with tags); jupytext reads them. Each source holds both editions: its prose in
Markdown cells tagged `lang-en` or `lang-fr`, each English cell followed by its French
one, beside code cells shared by both (a code cell tagged `lang-en` or `lang-fr` belongs
to that edition only, e.g. `seminar.start(lang="fr")`). --build writes
notebooks/en/NN-name.ipynb and notebooks/fr/NN-name.ipynb; the stored notebooks keep
their outputs: --execute runs each one in place with nbclient, its kernel on a brand-new
lab, audit log and runs directory. Run it with the project's virtualenv, from any directory:

    python scripts/build_seminar.py --build --execute                             # all
    python scripts/build_seminar.py --build --execute notebooks/fr/01-lvm.ipynb   # one
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
LANGUAGES = ("en", "fr")
LANG_TAG = "lang-"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# What jupytext records in a cell's metadata only to write the same text back (blank lines
# before the next cell, the marker used): the .py is the source here, never written back
# (the same list as jupytext.cell_metadata._JUPYTEXT_CELL_METADATA).
JUPYTEXT_LAYOUT = ("cell_marker", "lines_to_next_cell", "lines_to_end_of_cell_marker",
                   "skipline", "noskipline")


def seminar_notebooks(directory: Path | None = None, langs: Sequence[str] = LANGUAGES
                      ) -> list[Path]:
    """The course, edition by edition, in order: ``LANG/NN-name.ipynb`` files (default:
    this repository's notebooks/)."""
    base = directory or NOTEBOOKS
    return [p for lang in langs for p in sorted((base / lang).glob("[0-9][0-9]-*.ipynb"))]


def seminar_sources(directory: Path | None = None) -> list[Path]:
    """The sources, in order: ``NN-name.py`` files (default: this repository's)."""
    return sorted((directory or SOURCES).glob("[0-9][0-9]-*.py"))


def cell_language(cell: Any) -> str | None:
    """The edition a cell belongs to (its ``lang-xx`` tag), or None when it is shared."""
    langs = [t[len(LANG_TAG):] for t in cell.metadata.get("tags", []) if t.startswith(LANG_TAG)]
    if len(langs) > 1 or any(lang not in LANGUAGES for lang in langs):
        raise ValueError(f"cell tagged {', '.join(LANG_TAG + x for x in langs)}: give one of "
                         + ", ".join(LANG_TAG + x for x in LANGUAGES))
    return langs[0] if langs else None


def language_problems(nb: Any) -> list[str]:
    """What breaks the one-source rule: every Markdown cell in one language, each English
    one followed by its French one, so both editions have the same shape."""
    problems = []
    cells = list(enumerate(nb.cells))
    for n, cell in cells:
        lang = cell_language(cell)
        if cell.cell_type == "markdown" and lang is None:
            problems.append(f"cell {n}: Markdown without a lang-en or lang-fr tag")
        if lang == "en" and cell.cell_type == "markdown":
            nxt = nb.cells[n + 1] if n + 1 < len(nb.cells) else None
            if nxt is None or nxt.cell_type != "markdown" or cell_language(nxt) != "fr":
                problems.append(f"cell {n}: English Markdown not followed by its French one")
        if lang == "fr" and cell.cell_type == "markdown" and (
                n == 0 or cell_language(nb.cells[n - 1]) != "en"):
            problems.append(f"cell {n}: French Markdown not right after its English one")
    return problems


def read_source(source: Path, lang: str | None = None) -> Any:
    """The notebook (no outputs) that jupytext reads from a percent-format ``source``; with
    ``lang``, only that edition's cells (the shared ones and those tagged ``lang-LANG``,
    their language tag dropped).

    Kept from jupytext: the cells, their kinds, sources and metadata (tags, a title
    after `# %%`...). Dropped: its layout hints (``JUPYTEXT_LAYOUT``) and its
    ``jupytext`` notebook metadata, which describe the .py, not the notebook. Added: the
    Python 3 kernel and stable cell ids ``NN-nnn`` (the cell's place in the source, so a
    shared cell has the same id in both editions and rebuilding an unchanged source
    changes nothing).
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
    if lang is None:
        return nb
    if lang not in LANGUAGES:
        raise ValueError(f"edition {lang!r}: the seminar has {', '.join(LANGUAGES)}")
    if problems := language_problems(nb):
        raise ValueError(f"{source}: " + "; ".join(problems))
    kept = []
    for cell in nb.cells:
        if cell_language(cell) in (None, lang):
            tags = [t for t in cell.metadata.get("tags", []) if not t.startswith(LANG_TAG)]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
            kept.append(cell)
    nb.cells = kept
    nb.metadata["fxkit_seminar"] = {"lang": lang, "source": f"src/{source.name}"}
    return nb


def build_notebook(source: Path, target: Path, lang: str | None = None) -> None:
    """Write ``target`` (no outputs) from the percent-format ``source`` (see read_source);
    the edition is ``lang``, or the name of the target's directory when it is one."""
    import nbformat

    if lang is None and target.parent.name in LANGUAGES:
        lang = target.parent.name
    nb = read_source(source, lang)
    nbformat.validate(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


NOT_YET = ("[NOT YET]", "[PAS ENCORE]")      # fxkit.seminar's marks of a failed check


def solution_problems(nb: Any) -> list[str]:
    """Checks that fail after a "Solution" heading: the course's own answer is wrong there."""
    found, in_solution = [], False
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            in_solution = in_solution or "### Solution" in cell.source
            continue
        for output in cell.get("outputs", []) if in_solution else []:
            text = "".join(output.get("text") or output.get("data", {}).get("text/plain", ""))
            if any(mark in text for mark in NOT_YET):
                found.append(f"cell {n}: {text.strip()}")
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
    """Build the given notebooks (default: both editions of every source); return them."""
    if not_notebooks := [str(p) for p in notebooks if p.suffix != ".ipynb"]:
        raise ValueError("give the notebooks to build, not their sources: "
                         + ", ".join(not_notebooks))
    if no_edition := [str(p) for p in notebooks if p.parent.name not in LANGUAGES]:
        raise ValueError("a notebook lives in an edition's directory, " + " or ".join(
            f"notebooks/{lang}/" for lang in LANGUAGES) + ": " + ", ".join(no_edition))
    if notebooks:
        pairs = [(SOURCES / f"{path.stem}.py", path) for path in notebooks]
    else:
        pairs = [(src, NOTEBOOKS / lang / f"{src.stem}.ipynb")
                 for lang in LANGUAGES for src in seminar_sources()]
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
                        help="rebuild each notebook (notebooks/en/ and notebooks/fr/) from "
                             "notebooks/src/NN-name.py (jupytext's percent format); its "
                             "outputs are dropped")
    parser.add_argument("--execute", action="store_true",
                        help="then execute the notebooks in place, each on a freshly reset "
                             "lab, and store the outputs")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell "
                        "(default: %(default)s)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks/LANG/NN-name.ipynb files (default: the whole course, "
                             "both editions)")
    args = parser.parse_args(argv)
    if not (args.execute or args.build):
        parser.print_help()
        return 2
    paths = list(args.notebooks)
    if args.build:
        try:
            paths = _build(paths)
        except (FileNotFoundError, ValueError) as e:  # a bad path, or a source breaking
            # the one-source rule (language_problems)
            print(e, file=sys.stderr)
            return 1
        if not args.execute:
            return 0
    paths = paths or seminar_notebooks()
    if not paths:
        print(f"no notebooks found (looked for {NOTEBOOKS}/LANG/NN-*.ipynb)", file=sys.stderr)
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
