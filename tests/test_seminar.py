"""Seminar helpers: exercise checks on the lab, answers, the glossary, the two languages
(the notebook builder's tests are in test_seminar_build.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import fxkit
from fxkit import lab, seminar
from fxkit.errors import PreconditionFailed


@pytest.fixture
def fx():
    lab.reset("fx")
    return fxkit.connect("lab")


def test_start_keeps_the_lab_and_points_the_magics_at_it(fx, capsys):
    # issue 18: start() used to reset the lab, erasing another notebook's work; now only
    # seminar.reset() (or start(reset=True)) does
    from fxkit import magics

    fx.run(["lvcreate", "-L", "1G", "-n", "leftover", "lvm"])
    host = seminar.start()
    assert "as you left it (nothing was reset)" in capsys.readouterr().out
    assert magics.current_host() is host
    assert seminar.check_lv(host, "lvm", "leftover")
    host = seminar.start(reset=True)
    assert "Lab ready: a fresh copy of 'fx'" in capsys.readouterr().out
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
    assert done and str(done) == "[PASS] lvm/data is there: 2.00 GiB, ext4 filesystem"
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
                 "domaine non privilégié", "hyperviseur", "pont", "paravirtualisation",
                 "à la volée", "switch logiciel", "interface réelle", "interface virtuelle"):
        assert term in french
    table = seminar.glossary(lang="fr")
    assert "<table class='fxkit-glossary'>" in table._repr_html_()
    assert str(table).splitlines()[0].startswith("volume physique (PV)")


# -- issue 19: checks that tell the truth, answers for their meaning, two languages --------

@pytest.fixture
def english():
    seminar.set_language("en")
    yield
    seminar.set_language("en")


def test_check_lv_fails_a_filesystem_larger_than_its_lv(fx, english):
    # The trainer's sequence: e2fsck aborts (no block count), the old check skipped the size.
    fx.run(["lvcreate", "-L4G", "-n", "data", "lvm"])
    fx.run(["mkfs.ext4", "/dev/lvm/data"])
    fx.run(["lvreduce", "-f", "-L3G", "lvm/data"])
    assert fx.run(["e2fsck", "-n", "/dev/lvm/data"], check=False).exit_status != 0
    check = seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")
    assert not check
    text = str(check)
    assert "its ext4 filesystem is 4.00 GiB but the LV only 3.00 GiB" in text
    assert "likely to be corrupt" in text and "lvreduce -r" in text


def test_check_lv_on_a_running_domus_disk_checks_its_size_only(fx, english):
    check = seminar.check_lv(fx, "lvm", "web-root", size="10G", fs="ext4")
    assert check and "in use by a running domU: only its size was checked" in str(check)


def test_check_answer_takes_what_means_the_same(english):
    assert seminar.check_answer("8", 8, question="cpus")
    assert seminar.check_answer(" 8 ", 8, question="cpus")
    assert seminar.check_answer(512.0, 512, question="dom0_mem")
    assert seminar.check_answer("PV", "pv", question="web_type")
    assert seminar.check_answer(["titanic"], {"titanic"}, question="vlan42")
    assert seminar.check_answer(("Titanic",), {"titanic"}, question="vlan42")
    assert not seminar.check_answer("hvm", "pv", question="web_type")
    assert not seminar.check_answer(True, 1, question="q")   # a bool is not a count


def test_check_answer_says_why_an_answer_of_another_kind_fails(english):
    wrong = seminar.check_answer("eight", 8, question="cpus")
    assert str(wrong) == ("[NOT YET] CPUs Xen shares: 'eight' is text, the question wants a "
                          "whole number, like 3")
    assert "wants a set of names" in str(seminar.check_answer("titanic", {"titanic"},
                                                              question="vlan42"))
    assert "is a dict" in str(seminar.check_answer({"a": 1}, {"a"}, question="q"))


def test_each_question_has_its_own_hint(english):
    cpus = str(seminar.check_answer(7, 8, question="cpus"))
    mem = str(seminar.check_answer(256, 512, question="dom0_mem"))
    web = str(seminar.check_answer("hvm", "pv", question="web_type"))
    assert "nr_cpus" in cpus and "Domain-0" in mem and "kernel" in web
    assert len({cpus.splitlines()[-1], mem.splitlines()[-1], web.splitlines()[-1]}) == 3
    assert "one processor" in str(seminar.check_answer(4, 8, question="cpus"))
    assert "free -m" in str(seminar.check_answer(494, 512, question="dom0_mem"))
    assert "look at the diagram" not in cpus
    # 03's trap: backup's config names xenbr1, but it is not running
    vlan = str(seminar.check_answer({"titanic", "backup"}, {"titanic"}, question="vlan42"))
    assert "backup: its config names xenbr1, but a domU that is not running has no vif" in vlan
    assert str(seminar.check_answer(1, 2, question="free text?", hint="count again")) \
        .endswith("   - count again")


def test_marks_read_without_an_emoji_font(fx, english):
    for check in (seminar.check_lv(fx, "lvm", "root"), seminar.check_lv(fx, "lvm", "nope"),
                  seminar.check_answer(1, 2, question="q")):
        for text in (str(check), check._repr_html_()):
            assert all(ord(c) < 0x2000 for c in text), text    # letters and punctuation
    assert str(seminar.check_lv(fx, "lvm", "root")).startswith("[PASS] ")
    assert str(seminar.check_lv(fx, "lvm", "nope")).startswith("[NOT YET] ")


def test_the_checks_speak_french_after_start_in_french(fx, capsys):
    try:
        host = seminar.start(lang="fr", reset=True)
        assert "Lab prêt : une copie neuve de 'fx'" in capsys.readouterr().out
        assert str(seminar.check_lv(host, "lvm", "nope")) == (
            "[PAS ENCORE] lvm/nope n'existe pas\n   - créez-le avec lvcreate -n nope ... lvm")
        assert str(seminar.check_domu(host, "backup", running=False)).startswith(
            "[RÉUSSI] le domU backup est défini et arrêté")
        hint = str(seminar.check_answer(7, 8, question="cpus"))
        assert "processeurs (cœurs) que Xen partage : 7 n'est pas ce que dit le lab" in hint
        assert "cherchez nr_cpus" in hint
        with seminar.expect_refusal():
            host.run(["lvremove", "-f", "lvm/secours-root"])
        assert "Refusé, comme prévu" in capsys.readouterr().out
        with pytest.raises(fxkit.errors.InvalidRequest, match='lang="fr"'):
            seminar.start(lang="de")
    finally:
        seminar.set_language("en")


def test_glossary_works_both_ways_with_the_talks_own_words(english):
    for fr, en in (("pont", "bridge"), ("à la volée", "on the fly"),
                   ("switch logiciel", "software switch"),
                   ("interface réelle", "real interface"),
                   ("interface virtuelle", "virtual interface"),
                   ("volume logique", "logical volume")):
        assert seminar.translate(fr) == en and seminar.translate(en) == fr
    assert seminar.translate("Volume Logique (LV)") == "logical volume"
    with pytest.raises(fxkit.errors.InvalidRequest, match="not in the seminar's glossary"):
        seminar.translate("hovercraft")
    en, fr = str(seminar.glossary()), str(seminar.glossary(lang="fr"))
    assert en.splitlines()[0].split("  ")[0] == "physical volume (PV)"
    assert "volume physique (PV) *" in en.splitlines()[0]
    assert fr.splitlines()[0].startswith("volume physique (PV) *")
    assert "un switch logiciel dans le dom0" in fr and "*: a word of the 2007 talk" in en
    assert "<th>français</th>" in seminar.glossary(lang="fr")._repr_html_()
