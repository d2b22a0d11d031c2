"""Seminar helpers: exercise checks on the lab, the glossary; the notebook builder
(scripts/build_seminar.py: jupytext reads the sources, nbclient executes the notebooks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import nbformat
import pytest

import fxkit
from fxkit import lab, seminar
from fxkit.errors import PreconditionFailed
from scripts.build_seminar import (
    NOTEBOOKS,
    build_notebook,
    execute_notebook,
    main,
    read_source,
    seminar_notebooks,
    seminar_sources,
    solution_problems,
)


@pytest.fixture
def fx():
    lab.reset("fx")
    return fxkit.connect("lab")


def test_start_resets_the_lab_and_points_the_magics_at_it(fx, capsys):
    from fxkit import magics

    fx.run(["lvcreate", "-L", "1G", "-n", "leftover", "lvm"])
    host = seminar.start()
    assert "Lab ready: a fresh copy of 'fx'" in capsys.readouterr().out
    assert magics.current_host() is host
    assert not seminar.check_lv(host, "lvm", "leftover")


def test_check_lv_follows_an_lv_and_its_filesystem(fx):
    assert "does not exist" in seminar.check_lv(fx, "lvm", "data").message
    fx.run(["lvcreate", "-L", "1G", "-n", "data", "lvm"])
    missing_fs = seminar.check_lv(fx, "lvm", "data", size="1G", fs="ext4")
    assert not missing_fs and "holds no filesystem, not ext4" in str(missing_fs)
    fx.run(["mkfs.ext4", "/dev/lvm/data"])
    fx.run(["lvextend", "-L", "2G", "lvm/data"])
    short = seminar.check_lv(fx, "lvm", "data", size="2G", fs="ext4")
    assert not short and "covers 1.00 GiB of 2.00 GiB" in str(short)
    fx.run(["resize2fs", "/dev/lvm/data"])
    done = seminar.check_lv(fx, "lvm", "data", size="2G", fs="ext4")
    assert done and str(done) == "✅ lvm/data is there: 2.00 GiB, ext4 filesystem"
    assert "fxkit-check" in done._repr_html_()
    assert "it is 2.00 GiB, the exercise asks for 3.00 GiB" in str(
        seminar.check_lv(fx, "lvm", "data", size="3G"))


def test_check_domu_running_memory_bridges(fx):
    assert seminar.check_domu(fx, "titanic", memory=128,
                              bridges=["xenbr0", "xenbr1", "xenbr2"])
    wrong = seminar.check_domu(fx, "web", memory=384, bridges=["xenbr0"])
    assert "memory = 256, not 384" in str(wrong) and "vifs are on xenbr0, xenbr2" in str(wrong)
    assert "is not running" in str(seminar.check_domu(fx, "backup"))
    assert seminar.check_domu(fx, "backup", running=False)
    assert "still running" in str(seminar.check_domu(fx, "web", running=False))
    assert "no config file" in str(seminar.check_domu(fx, "nobody", running=None))


def test_check_domu_sees_a_config_changed_without_a_restart(fx):
    text = fx.read_file("/etc/xen/web.cfg").replace("memory = 256", "memory = 384")
    fx.write_file("/etc/xen/web.cfg", text)
    check = seminar.check_domu(fx, "web", memory=384)
    assert not check and "runs with 256 MiB" in str(check)


def test_check_reaches(fx):
    assert seminar.check_reaches(fx, "titanic", "VLAN 42")
    assert seminar.check_reaches(fx, "ns", "FreeBox", reaches=False)
    assert "ns reaches Backbone" in str(seminar.check_reaches(fx, "ns", "FreeBox"))
    assert "not running" in str(seminar.check_reaches(fx, "backup", "VLAN 42"))


def test_check_answer_and_check_doctor(fx):
    assert "write your answer" in str(seminar.check_answer(None, 8, question="CPUs"))
    assert seminar.check_answer({"a"}, {"a"}, question="q")
    assert not seminar.check_answer(7, 8, question="CPUs")
    assert seminar.check_doctor(fx)
    fx.write_file("/etc/xen/ghost.cfg", 'name = "ghost"\nmemory = 64\n'
                  "disk = [ 'phy:/dev/lvm/nowhere,xvda1,w' ]\n")
    bad = seminar.check_doctor(fx)
    assert not bad and "lvm/nowhere" in str(bad)


@dataclass
class _Rec:
    runbook: str = "lv-extend"
    status: str = "succeeded"
    changed: bool = False


def test_check_run():
    assert "run the runbook first" in str(seminar.check_run(None))
    assert "it changed nothing" in str(seminar.check_run(_Rec(), changed=True))
    assert seminar.check_run(_Rec(changed=True), changed=True)
    assert "status is 'failed'" in str(seminar.check_run(_Rec(status="failed")))


def test_expect_refusal_prints_instead_of_raising(fx, capsys):
    with seminar.expect_refusal():
        raise PreconditionFailed("lvm/x is used by domU y: remove it from y's config first")
    assert "Refused, as expected (PreconditionFailed):\nlvm/x is used" in capsys.readouterr().out
    with seminar.expect_refusal():
        fx.run(["lvremove", "-f", "lvm/secours-root"])
    assert "`lvremove -f lvm/secours-root` exited with status 5." in capsys.readouterr().out
    with seminar.expect_refusal():
        pass
    assert "Not refused" in capsys.readouterr().out
    with pytest.raises(KeyError):          # only fxkit's refusals are caught
        with seminar.expect_refusal():
            raise KeyError("not a refusal")


def test_glossary_has_the_seminars_terms():
    french = " ".join(t.french for t in seminar.GLOSSARY)
    for term in ("volume physique", "groupe de volumes", "volume logique", "domaine privilégié",
                 "domaine non privilégié", "hyperviseur", "pont", "paravirtualisation"):
        assert term in french
    table = seminar.glossary()
    assert "<table class='fxkit-glossary'>" in table._repr_html_()
    assert str(table).splitlines()[0].startswith("volume physique (PV)")


def test_build_notebook_from_percent_source(tmp_path):
    src = tmp_path / "07-demo.py"
    src.write_text('# %% [markdown]\n# # Title\n#\n# Some *text*.\n\n# %%\nx = 1\n\n\n'
                   '# %% tags=["raises-exception"]\n1 / 0\n')
    out = tmp_path / "07-demo.ipynb"
    build_notebook(src, out)
    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[0].source == "# Title\n\nSome *text*."
    assert nb.cells[1].source == "x = 1" and nb.cells[1].id == "07-001"
    assert [c.id for c in nb.cells] == ["07-000", "07-001", "07-002"]
    assert nb.cells[2].metadata["tags"] == ["raises-exception"]
    # jupytext's layout hints (two blank lines after x = 1) and its own notebook metadata
    # describe the .py, not the notebook: not stored
    assert [dict(c.metadata) for c in nb.cells] == [{}, {}, {"tags": ["raises-exception"]}]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert all("outputs" not in c or c.outputs == [] for c in nb.cells)
    before = out.read_bytes()
    build_notebook(src, out)
    assert out.read_bytes() == before            # rebuilding an unchanged source: no diff


def test_sources_are_read_by_jupytext_as_the_percent_format(tmp_path):
    import jupytext

    src = tmp_path / "08-more.py"
    src.write_text('# %% [markdown] tags=["hint"]\n# a hint\n\n# %% Setup\n%load_ext x\n'
                   '# %fx vgs\n\n# %% [raw]\nraw text\n\n# %%\n')
    nb = read_source(src)
    want = jupytext.read(src, fmt="py:percent")
    assert [(c.cell_type, c.source) for c in nb.cells] == \
        [(c.cell_type, c.source) for c in want.cells] == [
            ("markdown", "a hint"), ("code", "%load_ext x\n%fx vgs"), ("raw", "raw text"),
            ("code", "")]
    assert nb.cells[0].metadata == {"tags": ["hint"]}
    assert nb.cells[1].metadata == {"title": "Setup"}


def test_seminar_notebooks_and_sources_pair_up():
    notebooks, sources = seminar_notebooks(), seminar_sources()
    assert [p.stem for p in notebooks] == [p.stem for p in sources]
    assert all(p.parent == NOTEBOOKS for p in notebooks)
    assert all(p.parent == NOTEBOOKS / "src" for p in sources)


def test_the_course_is_in_order_and_built_from_its_sources():
    names = [p.stem for p in seminar_notebooks()]
    assert names == ["00-welcome", "01-lvm", "02-xen", "03-network", "04-exercise",
                     "05-runbooks"]
    for path in seminar_notebooks():
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].source.startswith("from fxkit import seminar\n")
        assert all(c.get("outputs") is not None for c in code)
        assert any(c.outputs for c in code), f"{path} is stored without outputs"
        assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
        assert solution_problems(nb) == [], f"{path}: the solution does not pass its checks"
        assert "✅" in json.dumps(nb.cells[-3:], ensure_ascii=False) or "✅" in json.dumps(
            [c.outputs for c in code[-3:]], ensure_ascii=False)


def test_stored_notebooks_match_their_sources(tmp_path):
    for path in seminar_notebooks(NOTEBOOKS):
        built = tmp_path / path.name
        build_notebook(NOTEBOOKS / "src" / f"{path.stem}.py", built)
        want = [(c.cell_type, c.source, c.metadata.get("tags"))
                for c in nbformat.read(built, as_version=4).cells]
        have = [(c.cell_type, c.source, c.metadata.get("tags"))
                for c in nbformat.read(path, as_version=4).cells]
        assert have == want, f"{path} differs from its source: run " \
                             "python scripts/build_seminar.py --build --execute"


def test_main_without_an_action_shows_help(capsys):
    assert main([]) == 2
    assert "--execute" in capsys.readouterr().out


def test_the_script_helps():
    done = subprocess.run([sys.executable, str(NOTEBOOKS.parent / "scripts/build_seminar.py"),
                           "--help"], capture_output=True, text=True, check=True,
                          cwd=NOTEBOOKS.parent.parent)       # from any directory
    assert "python scripts/build_seminar.py --build --execute" in done.stdout
    assert "percent format" in done.stdout and "--build" in done.stdout


def test_main_builds_the_named_notebooks_from_their_sources(tmp_path, capsys):
    target = tmp_path / "01-lvm.ipynb"
    assert main(["--build", str(target)]) == 0
    assert f"built {target} from {NOTEBOOKS / 'src' / '01-lvm.py'}" in capsys.readouterr().out
    built = nbformat.read(target, as_version=4)
    assert [c.source for c in built.cells] == \
        [c.source for c in read_source(NOTEBOOKS / "src" / "01-lvm.py").cells]
    assert not (tmp_path / "00-welcome.ipynb").exists()
    assert main(["--build", str(tmp_path / "99-nothing.ipynb")]) == 1
    assert "no source for that notebook" in capsys.readouterr().err
    source = NOTEBOOKS / "src" / "01-lvm.py"
    before = source.read_bytes()
    assert main(["--build", str(source)]) == 1           # never overwrites a source
    assert "not their sources" in capsys.readouterr().err and source.read_bytes() == before


@pytest.mark.notebook
def test_execute_notebook_runs_it_in_place_on_a_fresh_lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "not-this-lab"))
    src = tmp_path / "src" / "07-demo.py"
    src.parent.mkdir()
    src.write_text('# %%\nimport os\nprint(os.environ["FXKIT_LAB_DIR"])\n'
                   'print("twice")\n\n# %%\n6 * 7\n')
    path = tmp_path / "07-demo.ipynb"
    build_notebook(src, path)
    assert execute_notebook(path, timeout=60) > 0
    nb = nbformat.read(path, as_version=4)
    stream, result = nb.cells[0].outputs, nb.cells[1].outputs
    assert len(stream) == 1 and stream[0].name == "stdout"      # streams merged
    lab_dir, twice = stream[0].text.splitlines()
    assert "fxkit-seminar-" in lab_dir and "not-this-lab" not in lab_dir and twice == "twice"
    assert result[0].data["text/plain"] == "42"
    assert [c.id for c in nb.cells] == ["07-000", "07-001"]
    assert os.environ["FXKIT_LAB_DIR"] == str(tmp_path / "not-this-lab")   # restored
