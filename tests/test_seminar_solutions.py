"""Every solution of the trainer edition is re-runnable: after a deliberately wrong attempt
at the exercise, and twice in a row, its checks pass (issue 18)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from fxkit.seminar.editions import is_solution, student_edition
from scripts.build_seminar import (
    NOTEBOOKS,
    execute_notebook,
    read_source,
    seminar_sources,
    solution_problems,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

# notebook -> (the exercise cell the trainee fills in, a wrong or partial first try)
WRONG = {
    "00": ("answer_cpus = None", "answer_cpus = 4"),
    "01": ("# your commands here", "%fx lvcreate -L 1G -n data lvm"),
    "02": ("# your commands here", "%fx xl shutdown -w web"),
    "03": ("# your commands here",
           "from fxkit.xen import DomainConfig, stable_mac\n"
           "c = DomainConfig.parse(fx.read_file('/etc/xen/ns.cfg'))\n"
           "c.set('vif', [*c.get('vif'), f'mac={stable_mac(\"ns\", 1)}, bridge=xenbr1'])\n"
           "fx.write_file('/etc/xen/ns.cfg', c.render())"),
    "04": ("# your commands here", "%fx lvcreate -L 2G -n wiki-root lvm"),
    "05": ("rec_web = None", "%fx xl shutdown -w web\nrec_web = None"),
}


@pytest.mark.parametrize("source", seminar_sources(), ids=lambda p: p.stem)
def test_solution_passes_after_a_wrong_try_and_twice(source: Path, tmp_path):
    nb = read_source(source, "en")
    number = source.stem[:2]
    cell_start, wrong = WRONG[number]
    exercise = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(cell_start)]
    assert exercise, f"{source}: no exercise cell starting with {cell_start!r}"
    exercise[-1].source = wrong
    solutions = [c for c in nb.cells if is_solution(c) and c.cell_type == "code"]
    assert solutions, f"{source} has no solution cell"
    again = [copy.deepcopy(c) for c in solutions]
    for n, c in enumerate(again):
        c["id"] = f"again-{n}"
    at = nb.cells.index(solutions[-1]) + 1
    nb.cells[at:at] = again                              # the solution, a second time
    path = tmp_path / f"{source.stem}.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path, timeout=300)    # raises on an error, or a NOT YET after a solution
    done = nbformat.read(path, as_version=4)
    assert solution_problems(done) == []
    text = "".join(str(o) for c in done.cells if c.id.startswith("again-") for o in c.outputs)
    assert "[PASS]" in text


def test_the_student_edition_has_no_solution():
    for path in sorted((NOTEBOOKS / "en").glob("0*.ipynb")) + sorted(
            (NOTEBOOKS / "fr").glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert any(is_solution(c) for c in nb.cells), f"{path}: no tagged solution"
        student = student_edition(nb)
        assert not any(is_solution(c) for c in student.cells)
        assert not any("### Solution" in c.source for c in student.cells), path
        assert student.metadata["fxkit_seminar"]["edition"] == "student"
        assert len(student.cells) < len(nb.cells) and any(is_solution(c) for c in nb.cells)
