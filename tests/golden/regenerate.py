"""Regenerate the golden runs: each runbook executed on a freshly reset lab, outputs kept.

    python tests/golden/regenerate.py              # all runbooks
    python tests/golden/regenerate.py lv-extend    # some

Each golden notebook is the runbook with one setup cell in front (tagged
``golden-setup``) that points the kernel at a new, freshly reset lab directory,
so the same cells give the same outputs under ``pytest --nbval tests/golden``
(see sanitize.cfg for the few things that honestly differ between runs).
Review the diff (`git diff tests/golden`) before committing: a changed output is
a changed runbook.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

HERE = Path(__file__).resolve().parent
RUNBOOKS = HERE.parent.parent / "runbooks"

SETUP = '''\
# Golden-run setup (not part of the runbook): a freshly reset lab in a new temporary
# directory, so every execution of this notebook starts from the same state.
import os
import tempfile

os.environ["FXKIT_LAB_DIR"] = tempfile.mkdtemp(prefix="fxkit-golden-lab-")
os.environ["FXKIT_AUDIT_LOG"] = os.path.join(os.environ["FXKIT_LAB_DIR"], "audit.jsonl")
os.environ["FXKIT_RUNS_DIR"] = os.path.join(os.environ["FXKIT_LAB_DIR"], "runs")  # the records
from fxkit.lab import LabHost, reset

state = reset("fx")
'''

# runbook -> (parameters, extra setup lines run on the fresh lab)
GOLDEN: dict[str, tuple[dict[str, object], str]] = {
    "host-inventory": ({}, ""),
    "fx-doctor": ({}, ""),
    "lv-create": ({"apply": True, "lv": "scratch", "size": "1G"}, ""),
    "lv-extend": ({"apply": True, "lv": "backup-root", "size": "9G"}, ""),
    "lv-snapshot": ({"apply": True, "lv": "web-root", "size": "512M"}, ""),
    "lv-remove": ({"apply": True, "lv": "scratch", "confirm": "lvm/scratch"},
                  'created = LabHost("lab").run(["lvcreate", "--yes", "-n", "scratch", "-L", '
                  '"256M", "lvm"])\n'),
    "domu-create": ({"apply": True, "domu": "mail", "bridge": "xenbr0"}, ""),
    "domu-lifecycle": ({"apply": True, "domu": "ns", "action": "reboot"}, ""),
    "domu-remove": ({"apply": True, "domu": "backup", "confirm": "backup"}, ""),
    "bridge-add": ({"apply": True, "bridge": "xenbr3", "uplink": "eth0.43"}, ""),
}


def golden_input(name: str, extra: str) -> nbformat.NotebookNode:
    nb = nbformat.read(RUNBOOKS / f"{name}.ipynb", as_version=4)
    setup = nbformat.v4.new_code_cell(SETUP + extra)
    setup.id = "golden-setup"
    setup.metadata["tags"] = ["golden-setup"]
    nb.cells.insert(0, setup)
    return nb


def strip_run_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop timings and paths papermill records, so a regeneration diffs only on outputs."""
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path",
                "environment_variables", "version"):
        pm.pop(key, None)


def regenerate(name: str) -> Path:
    params, extra = GOLDEN[name]
    out = HERE / f"{name}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"{name}.ipynb"
        nbformat.write(golden_input(name, extra), src)
        papermill.execute_notebook(str(src), str(out), parameters=params, kernel_name="python3",
                                   progress_bar=False, cwd=str(RUNBOOKS))
    nb = nbformat.read(out, as_version=4)
    strip_run_metadata(nb)
    nbformat.write(nb, out)
    return out


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(GOLDEN))
    if unknown:
        raise SystemExit(f"no golden run for {', '.join(unknown)}; known: {', '.join(GOLDEN)}")
    for name in names or list(GOLDEN):
        print(f"{name}: {regenerate(name).relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
