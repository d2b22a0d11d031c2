"""Benchmark 1: command round trips on one loopback sshd (fxkit, OpenSSH, Fabric, Ansible), lab."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import sideenv
from bench.common import Report, Row, Target, measure, progress, ratio

COMMANDS = {"true": ["true"], "lvs": ["lvs", "--reportformat", "json"]}
ALIAS = "benchhost"
ANSIBLE_TASKS = 20


def run(n: int = 200, reps: int = 5, *, quick: bool = False) -> Report:
    from fxkit.testing.sshd import TestSshd, sshd_missing_reason

    rep = Report("Command round trip (real sshd on loopback, user with /bin/sh)")
    rep.notes.append("lvs runs as the unprivileged test user: lvm2 starts, warns and reports "
                     "nothing (exit 5); what is measured is the round trip of a real lvm2 "
                     "process, not LVM work")
    if why := sshd_missing_reason():
        rep.skipped["sshd"] = why
    else:
        sshd = TestSshd.start(tempfile.mkdtemp(prefix="fxkit-bench-sshd-"))
        try:
            _against_sshd(rep, sshd, n, reps, quick)
        finally:
            sshd.stop()
            shutil.rmtree(sshd.dir, ignore_errors=True)
    _against_lab(rep, n, reps)
    mux = ratio(rep, "fxkit true", "openssh-mux true")
    if mux is not None:
        rep.ratios["fxkit / openssh-mux (true)"] = mux
        rep.targets.append(Target("fxkit / OpenSSH-multiplexed per command", mux, 0.5))
    if (r := ratio(rep, "fxkit lvs", "openssh-mux lvs")) is not None:
        rep.ratios["fxkit / openssh-mux (lvs)"] = r
    if (r := ratio(rep, "ansible true", "fxkit true")) is not None:
        rep.ratios["ansible / fxkit per command (true)"] = r
        rep.targets.append(Target("fxkit speed-up over Ansible per command", r, 20,
                                  at_least=True))
    for other in ("openssh-new true", "fabric true", "fxkit-lab-ssh true",
                  "fxkit-lab-inprocess true"):
        if (r := ratio(rep, "fxkit true", other)) is not None:
            rep.ratios[f"fxkit / {other.removesuffix(' true')} (true)"] = r
    return rep


def _against_sshd(rep: Report, sshd, n: int, reps: int, quick: bool) -> None:
    from fxkit.audit import AuditLog

    audit_dir = Path(tempfile.mkdtemp(prefix="fxkit-bench-audit-"))
    host = sshd.host(audit=None)
    audited = sshd.host(audit=AuditLog(audit_dir / "audit.jsonl"))
    for key, argv in COMMANDS.items():
        rep.rows.append(measure(f"fxkit {key}", lambda argv=argv: _loop(host, argv, n),
                                n=n, reps=reps))
    rep.rows.append(measure("fxkit true (audit log on)", lambda: _loop(audited, ["true"], n),
                            n=n, reps=reps))
    host.close()
    audited.close()
    shutil.rmtree(audit_dir, ignore_errors=True)

    cfg = sshd.ssh_config(ALIAS)
    control = Path(tempfile.mkdtemp(prefix="fxkit-bench-cm-", dir="/tmp"))
    mux = ["ssh", "-F", str(cfg), "-o", "ControlMaster=auto",
           "-o", f"ControlPath={control}/%C", "-o", "ControlPersist=120", "-o", "BatchMode=yes"]
    new = ["ssh", "-F", str(cfg), "-o", "ControlMaster=no", "-o", "ControlPath=none",
           "-o", "BatchMode=yes"]
    try:
        for key, argv in COMMANDS.items():
            rep.rows.append(measure(f"openssh-mux {key}", lambda argv=argv: _ssh_loop(mux, argv, n),
                                    n=n, reps=reps))
        n_new = max(2, n // 10)
        rep.rows.append(measure("openssh-new true", lambda: _ssh_loop(new, ["true"], n_new),
                                n=n_new, reps=reps,
                                note="a new ssh process and connection per command"))
    finally:
        subprocess.run([*mux, "-O", "exit", ALIAS], capture_output=True, timeout=10)
        shutil.rmtree(control, ignore_errors=True)

    if quick:
        rep.skipped["fabric, ansible"] = "quick mode (smoke test): side venv not used"
        return
    py = sideenv.python(install=True)
    if py is None:
        rep.skipped["fabric"] = sideenv.why_missing()
        return
    for key, argv in COMMANDS.items():
        times = sideenv.fabric_times(py, sshd, argv, n, reps)
        rep.rows.append(progress(Row(f"fabric {key}", n, times, note="fabric.Connection.run("
                                     "hide=True), its default settings")))
    _ansible(rep, sshd, ANSIBLE_TASKS, reps)


def _ansible(rep: Report, sshd, tasks: int, reps: int) -> None:
    """One playbook of ``tasks`` command tasks (pipelining, ControlPersist): wall / tasks."""
    from bench import ansible_bench as ab

    work = Path(tempfile.mkdtemp(prefix="fxkit-bench-ansible-"))
    env = ab.workdir_env(work)
    try:
        inv = ab.inventory(work, sshd, sshd.user)
        book = ab.commands_playbook(work, ["true"], tasks)
        first = ab.run_playbook(book, inv, env)
        if first.status != 0:
            rep.skipped["ansible"] = f"ansible-playbook failed: {first.output[-800:]}"
            return
        rep.rows.append(measure("ansible true", lambda: ab.run_playbook(book, inv, env),
                                n=tasks, reps=reps, warmup=0,
                                note=f"one playbook of {tasks} command tasks, startup included"))
    finally:
        ab.stop_control_masters(work)
        shutil.rmtree(work, ignore_errors=True)


def _loop(host, argv: list[str], n: int) -> None:
    for _ in range(n):
        host.run(argv, check=False)


def _ssh_loop(prefix: list[str], argv: list[str], n: int) -> None:
    for _ in range(n):
        subprocess.run([*prefix, ALIAS, *argv], stdin=subprocess.DEVNULL,
                       capture_output=True, check=False)


def _against_lab(rep: Report, n: int, reps: int) -> None:
    """The lab's own SSH server (a separate process, like `fxkit lab start`) and in-process."""
    from fxkit.lab.ssh import daemon
    from fxkit.lab.transport import LabHost
    from fxkit.transports.ssh_config import ssh_host

    root = Path(tempfile.mkdtemp(prefix="fxkit-bench-lab-"))
    old = os.environ.get("FXKIT_LAB_DIR")
    os.environ["FXKIT_LAB_DIR"] = str(root)
    try:
        st = daemon.start(["fx"], port=0, root=root)
        try:
            host = ssh_host("fx", ssh_config=str(st.root / "ssh_config"), name="lab")
            host.audit = None
            for key, argv in COMMANDS.items():
                rep.rows.append(measure(f"fxkit-lab-ssh {key}",
                                        lambda argv=argv: _loop(host, argv, n), n=n, reps=reps))
            host.close()
        finally:
            daemon.stop(root)
        lab = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
        for key, argv in COMMANDS.items():
            rep.rows.append(measure(f"fxkit-lab-inprocess {key}",
                                    lambda argv=argv: _loop(lab, argv, n), n=n, reps=reps))
    finally:
        if old is None:
            os.environ.pop("FXKIT_LAB_DIR", None)
        else:
            os.environ["FXKIT_LAB_DIR"] = old
        shutil.rmtree(root, ignore_errors=True)
