"""Ordinary users against a real OpenSSH sshd and real sudo, on this machine's real lvm2
(the loop-device sandbox of tests/support/lvm2.py, reached over SSH): a user whose sudoers
rule is fxkit's rule for reading and LVM runs the inventory, the doctor and an lv-create
apply with every command through ``sudo -n`` (the audit log shows it); a user whose sudo
wants a password, and one without sudo, get the documented message; a read-only rule
refuses the change, naming the command."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from support.lvm2 import Lvm2Sandbox, lvm2_missing_reason

from fxkit import connect
from fxkit.audit import AuditLog
from fxkit.doctor import run_doctor
from fxkit.errors import ApplyFailed, SudoPasswordRequired, SudoRefused, ToolNotFound
from fxkit.hostlock import LOCK_DIR
from fxkit.inventory import read_inventory
from fxkit.lvm.plans import plan_lv_create
from fxkit.lvm.state import read_lvm
from fxkit.privilege import sudoers_aliases, sudoers_user
from fxkit.runbook.apply import apply_plan
from fxkit.testing.accounts import Accounts
from fxkit.testing.sshd import TestSshd, sshd_missing_reason
from fxkit.xen.storage import read_lvm_facts

pytestmark = [pytest.mark.sshd, pytest.mark.lvm2]
LVM_ENV = "LVM_SYSTEM_DIR LVM_SUPPRESS_FD_WARNINGS"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(ssh_config, users by role, the lvm2 sandbox): one sshd, four users, one VG."""
    if reason := sshd_missing_reason() or lvm2_missing_reason() or \
            (None if shutil.which("sudo") else "sudo is not installed (apt-get install sudo)"):
        pytest.skip(reason)
    with Lvm2Sandbox.start(tmp_path_factory.mktemp("lvm2"), [64, 64]) as box, \
            Accounts() as accounts:
        done = box.lvm("vgcreate", "-y", "fxvg", *box.loops)
        assert done.returncode == 0, done.stderr
        env = " ".join(f"{k}={v}" for k, v in box.env.items() if k.startswith("LVM"))
        base = Path(tempfile.mkdtemp(prefix="fxkit-sudo-"))
        base.chmod(0o755)             # the users read authorized_keys below it
        sshd = TestSshd.start(base / "sshd", config=(f"SetEnv {env}",))
        try:
            users = {"lvm": accounts.user("lvm", "/bin/bash"), "ro": accounts.user("ro"),
                     "admin": accounts.user("admin"), "pw": accounts.user("pw"),
                     "none": accounts.user("none")}
            rules = sudoers_aliases(("read", "lock", "lvm", "files"))   # fxkit's rule
            for role, groups in (("lvm", ("read", "lock", "lvm")), ("ro", ("read", "lock")),
                                 ("admin", ("read", "lock", "lvm", "files"))):
                user = users[role]
                rules += f'Defaults:{user} env_keep += "{LVM_ENV}"\n' + sudoers_user(user,
                                                                                     groups)
            rules += f"{users['pw']} ALL=(root) /usr/sbin/pvs, /usr/sbin/vgs, /usr/sbin/lvs\n"
            accounts.sudoers(f"site-{accounts.tag}", rules)     # the pw user: no NOPASSWD
            cfg = base / "ssh_config"
            cfg.write_text("".join(sshd.stanza(role, user=user) for role, user in users.items()))
            yield cfg, users, box
        finally:
            sshd.stop()
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def audit(tmp_path):
    return AuditLog(tmp_path / "audit.jsonl")


def test_inventory_doctor_and_an_lv_create_apply_as_a_sudo_user(site, audit):
    cfg, users, box = site
    with connect("lvm", ssh_config=str(cfg), sudo=True) as h:
        h.audit = audit
        inv = read_inventory(h)
        assert inv.layer("lvm").ok and inv.lvm.vg("fxvg") is not None
        assert inv.layer("net").ok and inv.net.link("lo") is not None
        xen = inv.layer("xen")          # no Xen on this machine: said, not a failure
        assert not xen.ok and "xl" in xen.reason and str(xen) in str(inv)
        findings = run_doctor(h)
        assert [f.objects for f in findings if f.code.startswith("layer-")] == [("xen",)]
        plan = plan_lv_create(read_lvm_facts(h), "fxvg", "web", "8M", activate=False,
                              zero=False)
        outcome = apply_plan(h, plan, apply=True, runbook="lv-create")
        assert outcome["status"] == "succeeded" and outcome["changed"]
        assert read_lvm(h).lv("fxvg/web") is not None
    assert not Path(LOCK_DIR).exists()                                 # lock released
    assert "web" in box.lvm("lvs", "--noheadings", "-o", "lv_name", "fxvg").stdout
    argvs = [line["argv"] for line in audit.lines()]
    assert argvs and all(a[:3] == ["sudo", "-n", "--"] or a[:3] == ["sudo", "-n", "-l"]
                         for a in argvs), "a command ran without sudo"
    ran = {a[3] for a in argvs if a[:3] == ["sudo", "-n", "--"]}
    assert {"pvs", "vgs", "lvs", "ip", "ls", "stat", "mkdir", "install", "mv", "lvcreate",
            "rm"} <= ran
    assert ["sudo", "-n", "--", "mkdir", LOCK_DIR] in argvs


def test_without_sudo_the_lvm_tools_are_not_found_and_the_fix_is_said(site, audit):
    cfg, users, _ = site
    with connect("lvm", ssh_config=str(cfg)) as h:
        h.audit = audit
        with pytest.raises(ToolNotFound) as e:
            read_lvm(h)
        message = str(e.value)
        assert f"`pvs` was not found for user {users['lvm']}" in message
        assert "/usr/sbin" in message and "--sudo" in message and "lvm2" in message
        inv = read_inventory(h)                  # the other layers are still read
        assert inv.layer("lvm").status == "absent" and inv.layer("net").ok


@pytest.mark.parametrize("role", ["pw", "none"])
def test_sudo_that_wants_a_password_fails_with_the_documented_message(site, audit, role):
    cfg, users, _ = site
    user = users[role]
    with connect(role, ssh_config=str(cfg), sudo=True) as h:
        h.audit = audit
        with pytest.raises(SudoPasswordRequired) as e:
            read_inventory(h)
    message = str(e.value)
    assert f"sudo asks {user} for a password to run `" in message
    for words in ("never sends passwords", "NOPASSWD", "visudo -f /etc/sudoers.d/fxkit",
                  f"sudoers_rule({user!r})", "connect as root"):
        assert words in message


def test_a_read_only_rule_refuses_the_change_naming_the_command(site, audit):
    cfg, users, box = site
    with connect("ro", ssh_config=str(cfg), sudo=True) as h:
        h.audit = audit
        assert read_inventory(h).layer("lvm").ok
        plan = plan_lv_create(read_lvm_facts(h), "fxvg", "denied", "8M", activate=False,
                              zero=False)
        with pytest.raises(ApplyFailed) as e:
            apply_plan(h, plan, apply=True, runbook="lv-create")
    cause = e.value.cause
    assert isinstance(cause, SudoRefused)
    assert f"sudo does not let {users['ro']} run `lvcreate --yes -n denied" in str(cause)
    assert not Path(LOCK_DIR).exists()
    assert "denied" not in box.lvm("lvs", "--noheadings", "-o", "lv_name").stdout


def test_files_owned_by_root_are_read_and_replaced_through_sudo(site, audit):
    cfg, _, _ = site
    directory = Path(tempfile.mkdtemp(prefix="fxkit-root-", dir="/etc"))
    try:
        os.chmod(directory, 0o755)
        path = directory / "secret.cfg"
        path.write_text("old\n")
        os.chmod(path, 0o600)
        with connect("admin", ssh_config=str(cfg), sudo=True) as h:
            h.audit = audit
            assert h.read_file(str(path)) == "old\n"       # 0600 root: SFTP cannot, sudo can
            h.write_file(str(path), "new\n")
        st = path.stat()
        assert path.read_text() == "new\n" and stat.S_IMODE(st.st_mode) == 0o600
        assert (st.st_uid, st.st_gid) == (0, 0)
        assert sorted(p.name for p in directory.iterdir()) == ["secret.cfg"]
        assert [a[3] for a in (line["argv"] for line in audit.lines())] == \
            ["cat", "stat", "install", "mv"]
    finally:
        shutil.rmtree(directory, ignore_errors=True)
