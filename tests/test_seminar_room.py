"""A seminar for a room (issue 18): one lab per trainee, never wiped by start(), checkpoints,
the progress log and grid, the student edition, the trainer's commands."""

from __future__ import annotations

import json
import multiprocessing

import nbformat
import pytest
from click.testing import CliRunner

import fxkit
from fxkit import lab, seminar
from fxkit.cli import cli
from fxkit.errors import FxkitError
from fxkit.lab.store import LabStore, lab_dir, trainee_lab_dir


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A seminar directory, and this process as trainee alice (no FXKIT_LAB_DIR)."""
    monkeypatch.delenv("FXKIT_LAB_DIR", raising=False)
    monkeypatch.delenv("FXKIT_TRAINEE", raising=False)
    monkeypatch.setenv("FXKIT_SEMINAR_DIR", str(tmp_path / "seminar"))
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return tmp_path / "seminar"


def test_the_lab_is_keyed_by_trainee(room, monkeypatch):
    assert lab_dir() == room / "labs" / "alice"
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    assert lab_dir() == trainee_lab_dir("bob") == room / "labs" / "bob"
    monkeypatch.setenv("FXKIT_TRAINEE", "carol")          # two trainees on one account
    assert lab_dir() == room / "labs" / "carol"
    monkeypatch.setenv("FXKIT_LAB_DIR", str(room / "elsewhere"))   # said explicitly: wins
    assert lab_dir() == room / "elsewhere"
    monkeypatch.setenv("JUPYTERHUB_USER", "../etc")
    monkeypatch.delenv("FXKIT_LAB_DIR")
    monkeypatch.delenv("FXKIT_TRAINEE")
    with pytest.raises(FxkitError, match="trainee name '../etc'"):
        lab_dir()


def test_start_never_wipes_a_lab_and_trainees_are_isolated(room, monkeypatch, capsys):
    fx = seminar.start(lang="en", notebook="01")
    assert "alice's new lab, at the start of notebook 01" in capsys.readouterr().out
    fx.run(["lvcreate", "-L", "1G", "-n", "work", "lvm"])
    again = seminar.start(lang="en", notebook="01")              # another notebook, same lab
    assert "as you left it (nothing was reset)" in capsys.readouterr().out
    assert seminar.check_lv(again, "lvm", "work")
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    bob = seminar.start(lang="en", notebook="01")
    assert not seminar.check_lv(bob, "lvm", "work")               # bob's own lab
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    assert seminar.check_lv(seminar.start(lang="en"), "lvm", "work")
    seminar.reset()
    assert not seminar.check_lv(fxkit.connect("lab"), "lvm", "work")


@pytest.mark.parametrize("notebook", seminar.NOTEBOOKS)
def test_reset_to_puts_the_lab_where_each_notebook_starts(room, notebook, capsys):
    fx = seminar.start(lang="en", notebook="00")
    fx.run(["lvcreate", "-L", "1G", "-n", "mess", "lvm"])
    fx = seminar.reset_to(notebook)
    assert f"alice's lab is now at the start of notebook {notebook}" in capsys.readouterr().out
    assert not seminar.check_lv(fx, "lvm", "mess")
    n = int(notebook)
    assert bool(seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")) == (n >= 2)
    assert bool(seminar.check_domu(fx, "web", memory=384)) == (n >= 3)
    assert bool(seminar.check_reaches(fx, "ns", "VLAN 42")) == (n >= 4)
    assert bool(seminar.check_domu(fx, "wiki", memory=128, bridges=["xenbr0"])) == (n >= 5)
    if n >= 1:
        assert seminar.check_doctor(fx)
    with pytest.raises(FxkitError, match="no seminar notebook '09'"):
        seminar.reset_to("09")


def _commands(root: str, worker: int) -> None:
    host = lab.LabHost(root=root)
    for i in range(15):
        host.run(["lvcreate", "-L", "4M", "-n", f"w{worker}-{i}", "lvm"])


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_two_notebooks_of_one_trainee_share_the_lab_safely(tmp_path):
    """Concurrent commands from several processes: every change kept, the state file whole."""
    root = str(tmp_path / "lab")
    lab.reset("fx", root=root)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_commands, args=(root, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    names = lab.LabHost(root=root).run(["lvs", "--noheadings", "-o", "lv_name"]).stdout.split()
    assert {f"w{w}-{i}" for w in range(4) for i in range(15)} <= set(names)
    json.loads(LabStore("fx", root).state_file.read_text())


def test_checks_are_recorded_and_the_grid_shows_them(room, monkeypatch):
    fx = seminar.start(lang="en", notebook="01")
    seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")          # alice: not yet
    fx.run(["lvcreate", "-L", "3G", "-n", "data", "lvm"])
    fx.run(["mkfs.ext4", "/dev/lvm/data"])
    seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")          # alice: pass
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    bob = seminar.start(lang="en", notebook="01")
    bob.run(["lvcreate", "-L", "1G", "-n", "data", "lvm"])
    seminar.check_lv(bob, "lvm", "data", size="3G", fs="ext4")         # bob: wrong size
    entries = seminar.read_progress()
    assert [(e["trainee"], e["notebook"], e["exercise"], e["passed"]) for e in entries] == [
        ("alice", "01", "lvm/data", False), ("alice", "01", "lvm/data", True),
        ("bob", "01", "lvm/data", False)]
    assert "the exercise asks for 3.00 GiB" in entries[-1]["hint"]
    grid = seminar.progress_grid()
    assert grid.trainees == ["alice", "bob"] and grid.exercises == ["01 lvm/data"]
    assert grid.cells["alice", "01 lvm/data"].passed
    assert [s[:2] for s in grid.stuck] == [("bob", "01 lvm/data")]
    assert "fxkit-progress-fail" in grid._repr_html_()
    out = CliRunner().invoke(cli, ["seminar", "progress"])
    assert out.exit_code == 0 and "alice    PASS" in out.output
    assert "stuck: bob on 01 lvm/data" in out.output
    data = json.loads(CliRunner().invoke(cli, ["seminar", "progress", "--json"]).output)
    assert {(c["trainee"], c["passed"]) for c in data["cells"]} == {("alice", True),
                                                                    ("bob", False)}


def test_the_trainer_resets_a_trainee(room, tmp_path):
    monkey_lab = trainee_lab_dir("bob")
    lab.reset("fx", root=monkey_lab)
    lab.LabHost(root=str(monkey_lab)).run(["lvcreate", "-L", "1G", "-n", "mess", "lvm"])
    out = CliRunner().invoke(cli, ["seminar", "reset-to", "03", "--trainee", "bob",
                                   "--dir", str(room.parent)])
    assert out.exit_code == 0, out.output
    assert "is now at the start of notebook 03" in out.output
    fx = lab.LabHost(root=str(monkey_lab))
    assert not seminar.check_lv(fx, "lvm", "mess")
    assert seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")


def test_copy_gives_the_student_edition_and_the_trainer_one(tmp_path):
    out = CliRunner().invoke(cli, ["seminar", "copy", str(tmp_path / "s"), "--lang", "fr"])
    assert out.exit_code == 0 and "student edition" in out.output
    out = CliRunner().invoke(cli, ["seminar", "copy", str(tmp_path / "t"), "--trainer"])
    assert out.exit_code == 0 and "trainer edition" in out.output
    student = nbformat.read(tmp_path / "s" / "01-lvm.ipynb", as_version=4)
    trainer = nbformat.read(tmp_path / "t" / "fr" / "01-lvm.ipynb", as_version=4)
    assert not any("### Solution" in c.source for c in student.cells)
    assert any("### Solution" in c.source for c in trainer.cells)


def test_hub_prepare_only_writes_the_room(tmp_path):
    out = CliRunner().invoke(cli, ["seminar", "hub", "--trainees", "2", "--port", "8123",
                                   "--dir", str(tmp_path / "room"), "--prepare-only"])
    assert out.exit_code == 0, out.output
    room = tmp_path / "room"
    accounts = json.loads((room / "accounts.json").read_text())
    assert sorted(accounts) == ["trainee01", "trainee02", "trainer"]
    assert (room / "accounts.json").stat().st_mode & 0o077 == 0
    assert all(secret in out.output for secret in accounts.values())
    config = (room / "jupyterhub_config.py").read_text()
    assert 'bind_url = "http://127.0.0.1:8123"' in config
    compile(config, "jupyterhub_config.py", "exec")
    home = room / "homes" / "trainee01" / "en" / "01-lvm.ipynb"
    assert not any("### Solution" in c.source for c in nbformat.read(home, as_version=4).cells)
    assert (room / "homes" / "trainer" / "trainer.ipynb").is_file()
    again = CliRunner().invoke(cli, ["seminar", "hub", "--trainees", "2", "--dir", str(room),
                                     "--prepare-only"])
    assert json.loads((room / "accounts.json").read_text()) == accounts      # kept
    assert again.exit_code == 0
    bad = CliRunner().invoke(cli, ["seminar", "hub", "--trainees", "0", "--dir", str(room),
                                   "--prepare-only"])
    assert bad.exit_code != 0
