"""The sudoers rule ``fxkit sudoers USER`` prints covers every command fxkit runs: the
fact readers and every plan are run on the lab as a sudo user, each argv recorded, and
each must be allowed by the printed rule (matched as sudo matches: the program by its
file name, the arguments exactly when the rule gives any). The read group alone covers
every reader. The user name is checked in the library, not only by the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.xen import fx_lab

from fxkit.cli import cli
from fxkit.doctor import run_doctor
from fxkit.errors import InvalidRequest
from fxkit.host import Exec
from fxkit.hostlock import HostLock, break_lock, current_owner, is_locked
from fxkit.inventory import read_inventory
from fxkit.lab.transport import LabHost
from fxkit.lvm.facts import read_facts
from fxkit.lvm.plans import plan_lv_create, plan_lv_extend
from fxkit.lvm.plans_shrink import (
    plan_lv_reduce,
    plan_lv_remove,
    plan_snapshot_create,
    plan_snapshot_remove,
)
from fxkit.net.drift import check_drift
from fxkit.net.ifupdown import read_persisted
from fxkit.net.plans import plan_attach, plan_bridge_create, plan_bridge_delete, plan_detach
from fxkit.net.state import read_net
from fxkit.privilege import SUDO, check_user_name, sudoers_rule, sudoers_user, write_as_root
from fxkit.topology import read_topology
from fxkit.xen.plans import (
    DomuSpec,
    plan_domu_create,
    plan_domu_reboot,
    plan_domu_remove,
    plan_domu_shutdown,
    plan_domu_start,
    read_domu_facts,
)
from fxkit.xen.storage import read_lvm_facts
from fxkit.xen.toolstack import Toolstack


@dataclass(eq=False)
class SudoLab(LabHost):
    """The lab logged in as an ordinary user with ``--sudo``: every argv is recorded; files
    are written as a real host writes them as root (``write_as_root``: stat, install, mv).
    The lab has no ``stat`` or ``install`` (nor ``mv -T``), so they are answered here."""

    sent: list[tuple[str, ...]] = field(default_factory=list)

    def _exec(self, argv, *, timeout, input, read_only):
        self.sent.append(argv)
        cmd = argv[len(SUDO):] if argv[:len(SUDO)] == SUDO else argv
        if cmd[0] == "stat":            # stat -c "%a %u %g" -- PATH
            try:
                super().read_file(cmd[-1])
            except FileNotFoundError:
                return Exec(1, "", f"stat: cannot statx '{cmd[-1]}': No such file or directory\n")
            return Exec(0, "644 0 0\n", "")
        if cmd[0] == "install":         # install -m MODE -o U -g G -T /dev/stdin TMP
            super().write_file(cmd[-1], input or "", int(cmd[2], 8))
            return Exec(0, "", "")
        if cmd[0] == "mv":              # the lab's mv has no -T; the target is a file here
            argv = tuple(a for a in argv if a != "-T")
        return super()._exec(argv, timeout=timeout, input=input, read_only=read_only)

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        write_as_root(self, path, content, mode)   # as SSHHost and LocalHost do with sudo

    def take(self) -> list[tuple[str, ...]]:
        sent, self.sent = self.sent, []
        return sent


@pytest.fixture
def lab(tmp_path: Path) -> SudoLab:
    fx_lab(tmp_path)
    return SudoLab(name="lab", root=str(tmp_path), sudo=True, audit=None)


def printed_rule(user: str = "ops", groups: str | None = None) -> dict[str, list[str]]:
    """The rule `fxkit sudoers USER` prints, as {alias: [command, ...]}, checked to be
    granted to USER."""
    args = ["sudoers", user] + (["--groups", groups] if groups else [])
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    aliases: dict[str, list[str]] = {}
    for line in out.output.splitlines():
        if line.startswith("Cmnd_Alias "):
            name, _, commands = line[len("Cmnd_Alias "):].partition(" = ")
            aliases[name] = commands.split(", ")
    granted = out.output.splitlines()[-1]
    assert granted == f"{user} ALL=(root) NOPASSWD: {', '.join(aliases)}"
    return aliases


def allows(commands: list[str], argv: tuple[str, ...]) -> bool:
    """Whether one of sudoers ``commands`` lets ``argv`` run: sudo finds the program in
    its secure_path and compares files (Debian's paths here: the name is enough); a
    command given with arguments must match them exactly (joined by spaces, as sudo does)."""
    for command in commands:
        path, _, args = command.partition(" ")
        if os.path.basename(path) != os.path.basename(argv[0]):
            continue
        if not args or args == " ".join(argv[1:]):
            return True
    return False


def uncovered(commands: list[str], sent: list[tuple[str, ...]]) -> list[str]:
    assert sent, "nothing was run"
    assert all(argv[:len(SUDO)] == SUDO for argv in sent), "a command ran without sudo"
    return sorted({" ".join(a[len(SUDO):]) for a in sent if not allows(commands, a[len(SUDO):])})


def read_everything(h: SudoLab) -> None:
    """Every fact reader: what inventory, doctor, dry runs and the widgets read."""
    read_inventory(h)
    run_doctor(h)
    read_topology(h)
    read_lvm_facts(h)
    read_facts(h, filesystems=True)
    read_domu_facts(h)
    net = read_net(h)
    check_drift(net, read_persisted(h))
    xl = Toolstack(h, "xl")
    xl.list()
    xl.list_long()
    xl.info()
    xl.domain("titanic")


def test_the_read_group_alone_covers_every_fact_reader(lab: SudoLab) -> None:
    read_everything(lab)
    read = printed_rule(groups="read")["FXKIT_READ"]
    assert uncovered(read, lab.take()) == []


def test_read_and_lock_cover_taking_checking_and_breaking_the_lock(lab: SudoLab) -> None:
    with HostLock(lab, runbook="test"):
        assert is_locked(lab) and current_owner(lab) is not None
    assert not is_locked(lab)
    HostLock(lab, runbook="dead").acquire()
    break_lock(lab)                              # `fxkit runs unlock` once checked
    rule = printed_rule(groups="read,lock")
    sent = lab.take()
    assert {a[len(SUDO)] for a in sent} >= {"mkdir", "stat", "install", "mv", "test", "rm"}
    assert uncovered(rule["FXKIT_READ"] + rule["FXKIT_LOCK"], sent) == []


def apply(h: SudoLab, plan, confirm=None) -> None:
    assert not plan.empty, plan
    plan.apply(h, confirm=confirm)


def test_the_printed_rule_covers_every_plan_applied(lab: SudoLab) -> None:
    lvm = lambda: read_lvm_facts(lab)           # noqa: E731 - fresh facts for each plan
    apply(lab, plan_lv_create(lvm(), "lvm", "scratch", "1G", fs="ext4"))
    apply(lab, plan_lv_extend(lvm(), "lvm/scratch", "+256M"))
    apply(lab, plan_lv_reduce(lvm(), "lvm/scratch", "1G"), "lvm/scratch")
    apply(lab, plan_snapshot_create(lvm(), "lvm/web-root", "web-snap", "512M"))
    apply(lab, plan_snapshot_remove(lvm(), "lvm/web-snap"), "lvm/web-snap")
    apply(lab, plan_lv_remove(lvm(), "lvm/scratch", wipe=True), "lvm/scratch")
    domu = lambda: read_domu_facts(lab)         # noqa: E731
    apply(lab, plan_domu_create(domu(), DomuSpec("mail", bridges=("xenbr1",))))
    apply(lab, plan_domu_create(domu(), DomuSpec("backup", bridges=("xenbr1",))), "backup")
    apply(lab, plan_domu_shutdown(domu(), "mail"))
    apply(lab, plan_domu_start(domu(), "mail"))
    apply(lab, plan_domu_reboot(domu(), "mail"))
    apply(lab, plan_domu_remove(domu(), "mail", wipe=True), "mail")
    persisted = lambda: read_persisted(lab)     # noqa: E731
    apply(lab, plan_bridge_create(read_net(lab), "xenbr3", "eth0.43", persisted=persisted()))
    apply(lab, plan_detach(read_net(lab), "eth0.43", persisted=persisted()))
    apply(lab, plan_attach(read_net(lab), "eth0.43", "xenbr3", persisted=persisted()))
    apply(lab, plan_bridge_delete(read_net(lab), "xenbr3", persisted=persisted()), "xenbr3")
    rule = printed_rule()
    everything = [c for commands in rule.values() for c in commands]
    sent = lab.take()
    assert uncovered(everything, sent) == []
    programs = {a[len(SUDO)] for a in sent}
    assert {"lvcreate", "lvextend", "lvreduce", "lvremove", "dd", "xl", "ip", "install", "mv",
            "head", "mkdir", "rm"} <= programs          # the walk reached every group
    # the guest's filesystem is grown over SSH from dom0 (a step the lab cannot run)
    guest = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G",
                           guest_ssh={"web": "root@web"})
    ssh = [s.argv for s in guest.steps if s.argv and s.argv[0] == "ssh"]
    assert ssh and all(allows(rule["FXKIT_XEN"], argv) for argv in ssh)


def test_head_is_in_the_read_group_and_the_lock_group_covers_its_check() -> None:
    rule = printed_rule()
    assert "/usr/bin/head" in rule["FXKIT_READ"]
    assert allows(rule["FXKIT_LOCK"], ("test", "-d", "/run/lock/fxkit.lock"))
    assert not allows(rule["FXKIT_READ"], ("ls", "-1", "/root"))        # exact stays exact


@pytest.mark.parametrize("bad", ["ops ALL=(ALL) ALL", "%sudo", "#0", "-ops", "a,b", "ops\n",
                                 "ops\nroot ALL=(ALL) ALL", "", "1ops", ".ops", "a" * 33,
                                 "op:s", "op=s", "op\\s", "ops!", "+netgroup", "ünïcode"])
def test_the_library_refuses_a_user_name_sudoers_would_read_otherwise(bad: str) -> None:
    with pytest.raises(InvalidRequest, match="is not a login name"):
        sudoers_user(bad)
    with pytest.raises(InvalidRequest, match="is not a login name"):
        sudoers_rule(bad)
    with pytest.raises(InvalidRequest):
        check_user_name(bad)


@pytest.mark.parametrize("good", ["ops", "_svc", "Ops.2", "a-b_c", "a" * 32])
def test_plain_login_names_are_accepted(good: str) -> None:
    assert sudoers_user(good, ("read",)) == f"{good} ALL=(root) NOPASSWD: FXKIT_READ\n"
    with pytest.raises(InvalidRequest, match="choose from"):
        sudoers_user(good, ("read", "all"))
