"""Issue 15's "done when", as a user types it: an ordinary user with fxkit's limited sudoers
rule runs `fxkit inventory`, `fxkit doctor` and `fxkit run lv-create ... --apply --sudo`
(papermill, a real kernel) against a real OpenSSH sshd, and the audit log shows that every
command went through `sudo -n`; the user whose sudo wants a password and the user without
sudo get the documented message and exit status 4; --accept-new-host-key reaches both the
CLI's connection and the runbook's kernel.

The site (sshd, users, sudoers rules, the lvm2 sandbox on loop devices reached over SSH)
is tests/test_real_hosts_sudo.py's. This kernel has no device-mapper: the sandbox's
lvm.conf turns activation off, so lvcreate makes the LV in the metadata and skips zeroing
by itself, and the runbook runs with filesystem="" (mkfs needs the device)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_real_hosts_sudo import site  # noqa: F401 - the shared site fixture

from fxkit.audit import AuditLog
from fxkit.hostlock import LOCK_DIR

pytestmark = [pytest.mark.sshd, pytest.mark.lvm2]
SUDO = ["sudo", "-n", "--"]


class Fxkit:
    """``fxkit ARGS`` as a separate process, with its own audit log and runs directory."""

    def __init__(self, base: Path) -> None:
        self.audit = base / "audit.jsonl"
        self.runs = base / "runs"
        # the lock is this machine's /run/lock/fxkit.lock, which other tests may hold a moment
        self.env = {**os.environ, "FXKIT_AUDIT_LOG": str(self.audit),
                    "FXKIT_RUNS_DIR": str(self.runs), "NO_COLOR": "1", "FXKIT_LOCK_WAIT": "120"}
        for name in ("FXKIT_SSH_CONFIG", "FXKIT_ACCEPT_NEW_HOST_KEY"):
            self.env.pop(name, None)

    def __call__(self, *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fxkit", *map(str, args)], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def json(self, *args: object, code: int = 0) -> dict:
        done = self(*args, "--json")
        assert done.returncode == code, done.stdout + done.stderr
        return json.loads(done.stdout)

    def argvs(self) -> list[list[str]]:
        """Every command sent to a host (a run's seal line is not one)."""
        return [line["argv"] for line in AuditLog(self.audit).lines() if "run_id" not in line]


@pytest.fixture
def fxkit(tmp_path):
    return Fxkit(tmp_path)


def through_sudo(argv: list[str]) -> bool:
    return argv[:3] == SUDO or argv[:3] == ["sudo", "-n", "-l"]


@pytest.mark.notebook
def test_inventory_doctor_and_lv_create_runbook_as_a_sudo_user(site, fxkit):  # noqa: F811
    cfg, users, box = site
    inv = fxkit.json("inventory", "lvm", "-F", cfg, "--sudo")
    layers = {la["name"]: la for la in inv["layers"]}
    assert layers["lvm"]["status"] == "read" and layers["net"]["status"] == "read"
    assert layers["xen"]["status"] == "absent" and "`xl`" in layers["xen"]["reason"]
    assert "fxvg" in [vg["name"] for vg in inv["vgs"]] and inv["domains"] == []
    text = fxkit("inventory", "lvm", "-F", cfg, "--sudo")
    assert text.returncode == 0, text.stderr
    assert "fxvg" in text.stdout and "Xen: absent (" in text.stdout

    doctor = fxkit.json("doctor", "lvm", "-F", cfg, "--sudo")
    assert [f["objects"] for f in doctor["findings"] if f["code"].startswith("layer-")] == \
        [["xen"]]
    assert doctor["errors"] == 0

    run = fxkit.json("run", "lv-create", "-p", "vg", "fxvg", "-p", "lv", "web", "-p", "size",
                     "8M", "-p", "filesystem", "", "--host", "lvm", "-F", cfg, "--apply",
                     "--sudo")
    assert run["status"] == "succeeded" and run["changed"], run
    assert run["parameters"]["sudo"] is True and run["exit_code"] == 0
    assert "web" in box.lvm("lvs", "--noheadings", "-o", "lv_name", "fxvg").stdout
    assert run["commands"] and all(c.startswith(("sudo -n -- ", "sudo -n -l -- "))
                                   for c in run["commands"])

    argvs = fxkit.argvs()
    assert argvs and all(through_sudo(a) for a in argvs), \
        [a for a in argvs if not through_sudo(a)]
    ran = {a[3] for a in argvs if a[:3] == SUDO}
    assert {"pvs", "vgs", "lvs", "ip", "ls", "mkdir", "stat", "install", "mv", "lvcreate",
            "rm"} <= ran
    lvcreate = argvs.index([*SUDO, "lvcreate", "--yes", "-n", "web", "-l", "2", "fxvg"])
    assert argvs.index([*SUDO, "mkdir", LOCK_DIR]) < lvcreate < \
        argvs.index([*SUDO, "rm", "-rf", LOCK_DIR])                    # locked, then released


def test_without_sudo_the_inventory_says_lvm_is_absent_and_the_fix(site, fxkit):  # noqa: F811
    cfg, users, _ = site
    done = fxkit("inventory", "lvm", "-F", cfg)
    assert done.returncode == 0, done.stderr
    assert f"LVM: absent (lvm: `pvs` was not found for user {users['lvm']}" in done.stdout
    assert "--sudo" in done.stdout and "Bridges" in done.stdout
    assert all(not through_sudo(a) for a in fxkit.argvs())


@pytest.mark.parametrize("role", ["pw", "none"])
def test_sudo_that_wants_a_password_exits_4_with_the_documented_message(site, fxkit,  # noqa: F811
                                                                       role):
    cfg, users, _ = site
    user = users[role]
    for args in (("inventory", role), ("doctor", role), ("lvm", "show", role)):
        done = fxkit(*args, "-F", cfg, "--sudo")
        assert done.returncode == 4, (args, done.stdout, done.stderr)
        assert done.stderr.startswith(f"error: {role}: sudo asks {user} for a password to run `")
        for words in ("fxkit never sends passwords", "NOPASSWD",
                      "visudo -f /etc/sudoers.d/fxkit", f"sudoers_rule({user!r})"):
            assert words in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.notebook
def test_a_runbook_run_by_the_password_user_exits_4(site, fxkit):  # noqa: F811
    cfg, users, box = site
    done = fxkit("run", "lv-create", "-p", "vg", "fxvg", "-p", "lv", "never", "-p", "size",
                 "8M", "-p", "filesystem", "", "--host", "pw", "-F", cfg, "--apply", "--sudo")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "raised SudoPasswordRequired" in done.stderr
    assert f"sudo asks {users['pw']} for a password" in done.stderr
    assert "never" not in box.lvm("lvs", "--noheadings", "-o", "lv_name").stdout


def test_a_read_only_rule_refuses_the_cli_apply_naming_the_command(site, fxkit):  # noqa: F811
    cfg, users, box = site
    done = fxkit("lvm", "plan-create", "fxvg", "denied", "8M", "ro", "-F", cfg, "--sudo",
                 "--apply")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"sudo does not let {users['ro']} run `lvcreate --yes -n denied" in done.stderr
    assert fxkit.argvs()[-1] == [*SUDO, "rm", "-rf", LOCK_DIR]          # the lock released
    assert "denied" not in box.lvm("lvs", "--noheadings", "-o", "lv_name").stdout


def _unknown_key_config(cfg: Path, base: Path, name: str) -> tuple[Path, Path]:
    """``cfg`` with the lvm user's known_hosts replaced by an empty file of its own."""
    known = base / f"{name}-known_hosts"
    known.write_text("# nothing known yet\n")
    text = re.sub(r"UserKnownHostsFile \S+", f"UserKnownHostsFile {known}", cfg.read_text())
    out = base / f"{name}-ssh_config"
    out.write_text(text)
    return out, known


@pytest.mark.notebook
def test_accept_new_host_key_reaches_the_cli_and_the_runbook_kernel(site, fxkit,  # noqa: F811
                                                                     tmp_path):
    cfg, _, _ = site
    cli_cfg, cli_known = _unknown_key_config(cfg, tmp_path, "cli")
    refused = fxkit("inventory", "lvm", "-F", cli_cfg, "--sudo")
    assert refused.returncode == 4 and "--accept-new-host-key" in refused.stderr
    assert cli_known.read_text() == "# nothing known yet\n"
    done = fxkit("inventory", "lvm", "-F", cli_cfg, "--sudo", "--accept-new-host-key")
    assert done.returncode == 0, done.stderr
    lines = cli_known.read_text().splitlines()
    assert lines[0] == "# nothing known yet" and len(lines) == 2

    run_cfg, run_known = _unknown_key_config(cfg, tmp_path, "run")
    refused = fxkit.json("run", "host-inventory", "--host", "lvm", "-F", run_cfg, "--sudo",
                         code=4)
    assert refused["error"]["ename"] == "HostKeyRejected"
    run = fxkit.json("run", "host-inventory", "--host", "lvm", "-F", run_cfg, "--sudo",
                     "--accept-new-host-key")
    assert run["status"] == "succeeded", run
    assert run["outcome"]["layers"] == {"lvm": "read", "xen": "absent", "net": "read"}
    assert "Not read: Xen (absent)." in run["outcome"]["reason"]
    assert len(run_known.read_text().splitlines()) == 2
