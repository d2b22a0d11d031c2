"""The seminar's builder (scripts/build_seminar.py): one jupytext source per notebook, split
into an English and a French edition; the stored notebooks match their sources and pass
their own checks."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from scripts.build_seminar import (
    LANGUAGES,
    NOTEBOOKS,
    build_notebook,
    execute_notebook,
    language_problems,
    main,
    read_source,
    seminar_notebooks,
    seminar_sources,
    solution_problems,
)

COURSE = ["00-welcome", "01-lvm", "02-xen", "03-network", "04-exercise", "05-runbooks"]


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
    sources = seminar_sources()
    assert all(p.parent == NOTEBOOKS / "src" for p in sources)
    for lang in LANGUAGES:
        notebooks = seminar_notebooks(langs=[lang])
        assert [p.stem for p in notebooks] == [p.stem for p in sources]
        assert all(p.parent == NOTEBOOKS / lang for p in notebooks)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_course_is_in_order_and_built_from_its_sources(lang):
    names = [p.stem for p in seminar_notebooks(langs=[lang])]
    assert names == COURSE
    recap, box, time, passed = {
        "en": ("## To remember", "**2007 / today.**", "*About ", "[PASS]"),
        "fr": ("## À retenir", "**2007 / aujourd'hui.**", "*Environ ", "[RÉUSSI]")}[lang]
    for path in seminar_notebooks(langs=[lang]):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["fxkit_seminar"] == {"lang": lang, "source": f"src/{path.stem}.py"}
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].source.startswith("from fxkit import seminar\n")
        number = path.stem[:2]
        assert f'seminar.start(lang="{lang}", notebook="{number}")' in code[0].source
        assert f'seminar.reset_to("{number}")' in code[0].source    # says how to start over
        assert all(c.get("outputs") is not None for c in code)
        assert any(c.outputs for c in code), f"{path} is stored without outputs"
        assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
        assert solution_problems(nb) == [], f"{path}: the solution does not pass its checks"
        text = "".join(str(o) for c in code[-3:] for o in c.outputs)
        assert passed in text, f"{path}: no {passed} mark near the end"
        prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert time in prose[0] and any(p.startswith(recap) for p in prose), path
        assert any(box in p for p in prose), f"{path} has no 2007 / today box"
        assert "✅" not in str(nb) and "❌" not in str(nb)


def test_stored_notebooks_match_their_sources(tmp_path):
    for path in seminar_notebooks(NOTEBOOKS):
        built = tmp_path / path.parent.name / path.name
        build_notebook(NOTEBOOKS / "src" / f"{path.stem}.py", built)
        want = [(c.cell_type, c.id, c.source, c.metadata.get("tags"))
                for c in nbformat.read(built, as_version=4).cells]
        have = [(c.cell_type, c.id, c.source, c.metadata.get("tags"))
                for c in nbformat.read(path, as_version=4).cells]
        assert have == want, f"{path} differs from its source: run " \
                             "python scripts/build_seminar.py --build --execute"


def test_both_editions_share_their_code_cells():
    for src in seminar_sources():
        en, fr = (read_source(src, lang) for lang in LANGUAGES)
        shared_en = [(c.id, c.source) for c in en.cells if c.cell_type == "code"][1:]
        shared_fr = [(c.id, c.source) for c in fr.cells if c.cell_type == "code"][1:]
        assert shared_en == shared_fr, src           # only the first (start) cell differs
        assert len(en.cells) == len(fr.cells)
        assert language_problems(read_source(src)) == []


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
    target = tmp_path / "fr" / "01-lvm.ipynb"
    assert main(["--build", str(target)]) == 0
    assert f"built {target} from {NOTEBOOKS / 'src' / '01-lvm.py'}" in capsys.readouterr().out
    built = nbformat.read(target, as_version=4)
    assert [c.source for c in built.cells] == \
        [c.source for c in read_source(NOTEBOOKS / "src" / "01-lvm.py", "fr").cells]
    assert built.metadata["fxkit_seminar"]["lang"] == "fr"
    assert not (tmp_path / "fr" / "00-welcome.ipynb").exists()
    assert main(["--build", str(tmp_path / "en" / "99-nothing.ipynb")]) == 1
    assert "no source for that notebook" in capsys.readouterr().err
    assert main(["--build", str(tmp_path / "01-lvm.ipynb")]) == 1        # which edition?
    assert "notebooks/en/ or notebooks/fr/" in capsys.readouterr().err
    source = NOTEBOOKS / "src" / "01-lvm.py"
    before = source.read_bytes()
    assert main(["--build", str(source)]) == 1           # never overwrites a source
    assert "not their sources" in capsys.readouterr().err and source.read_bytes() == before


BILINGUAL = ('# %% [markdown] tags=["lang-en"]\n# # Title\n\n'
             '# %% [markdown] tags=["lang-fr"]\n# # Titre\n\n'
             '# %% tags=["lang-en"]\nlang = "en"\n\n# %% tags=["lang-fr"]\nlang = "fr"\n\n'
             '# %% tags=["raises-exception"]\n1 / 0\n\n'
             '# %% [markdown] tags=["lang-en", "hint"]\n# Hello\n\n'
             '# %% [markdown] tags=["lang-fr"]\n# Bonjour\n')


def test_one_source_splits_into_two_editions(tmp_path):
    src = tmp_path / "src" / "07-demo.py"
    src.parent.mkdir()
    src.write_text(BILINGUAL)
    for lang, words in (("en", ["# Title", 'lang = "en"', "1 / 0", "Hello"]),
                        ("fr", ["# Titre", 'lang = "fr"', "1 / 0", "Bonjour"])):
        build_notebook(src, tmp_path / lang / "07-demo.ipynb")
        nb = nbformat.read(tmp_path / lang / "07-demo.ipynb", as_version=4)
        assert [c.source for c in nb.cells] == words
        assert nb.cells[2].id == "07-004" and nb.cells[2].metadata["tags"] == ["raises-exception"]
        # the language tags are the source's business: dropped; other tags stay
        assert [c.metadata.get("tags") for c in nb.cells] == \
            [None, None, ["raises-exception"], ["hint"] if lang == "en" else None]
        assert nb.metadata["fxkit_seminar"] == {"lang": lang, "source": "src/07-demo.py"}


@pytest.mark.parametrize("text,problem", [
    ('# %% [markdown]\n# untagged\n', "cell 0: Markdown without a lang-en or lang-fr tag"),
    ('# %% [markdown] tags=["lang-en"]\n# alone\n\n# %%\nx = 1\n',
     "cell 0: English Markdown not followed by its French one"),
    ('# %% [markdown] tags=["lang-fr"]\n# seul\n',
     "cell 0: French Markdown not right after its English one"),
])
def test_a_source_without_both_languages_is_refused(tmp_path, capsys, text, problem):
    src = tmp_path / "src" / "07-demo.py"
    src.parent.mkdir()
    src.write_text(text)
    assert problem in language_problems(read_source(src))
    with pytest.raises(ValueError, match=problem):
        read_source(src, "en")
    with pytest.raises(ValueError, match="lang-de"):
        src.write_text('# %% [markdown] tags=["lang-de"]\n# Hallo\n')
        read_source(src, "en")


def test_solution_problems_reads_both_languages_marks():
    def nb(mark):
        cells = [nbformat.v4.new_markdown_cell("### Solution"), nbformat.v4.new_code_cell("x")]
        cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"{mark} lvm/data ...\n")]
        return nbformat.v4.new_notebook(cells=cells)
    assert solution_problems(nb("[NOT YET]")) and solution_problems(nb("[PAS ENCORE]"))
    assert solution_problems(nb("[PASS]")) == solution_problems(nb("[RÉUSSI]")) == []


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



def _prose(name: str, lang: str) -> str:
    nb = read_source(NOTEBOOKS / "src" / f"{name}.py", lang)
    return " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())


def _code(name: str) -> str:
    nb = read_source(NOTEBOOKS / "src" / f"{name}.py", "en")
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_the_trainers_wording_findings_are_fixed():
    # 02: xl came with Xen 4.1 (not 4.0); `d` is one of xl list's states
    assert "Xen 4.0" not in _prose("02-xen", "en") and "**Xen 4.1**" in _prose("02-xen", "en")
    assert "`d` dying" in _prose("02-xen", "en") and "`d` en train de mourir" in \
        _prose("02-xen", "fr")
    # 03: the first exercise says it counts the running domUs only
    assert "reach VLAN 42 **now**, among the running ones" in _prose("03-network", "en")
    assert 'question="vlan42"' in _code("03-network")
    # 03: the seminar's MAC addresses explained
    assert "locally administered" in _prose("03-network", "en") and "secou" in \
        _prose("03-network", "en")
    # 05: the launcher is kept in a variable, so that its record can be checked
    assert "launcher = RunbookLauncher(" in _code("05-runbooks")
    assert "rec_web = launcher.record" in _prose("05-runbooks", "en")
    # what the lab invents beyond the talk is labelled
    for name in ("00-welcome", "01-lvm", "02-xen", "03-network", "04-exercise", "05-runbooks"):
        assert "*(lab)*" in _prose(name, "en") and "*(lab)*" in _prose(name, "fr"), name
