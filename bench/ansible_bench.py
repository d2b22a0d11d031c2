"""Ansible baselines: ansible-playbook from bench/.venv-ansible against the benchmark's sshd."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import sideenv

PYTHON_ON_TARGET = "/usr/bin/python3"


@dataclass
class Playbook:
    """One playbook run: wall seconds, exit status, and the tail of its output."""

    seconds: float
    status: int
    output: str


def workdir_env(work: Path) -> dict[str, str]:
    """Keep every Ansible file (temp, control sockets, facts) inside ``work``."""
    for sub in ("local", "cp", "remote"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    return {**os.environ, "ANSIBLE_LOCAL_TEMP": str(work / "local"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(work / "cp"),
            "ANSIBLE_REMOTE_TEMP": "/tmp/.fxkit-bench-ansible",
            "ANSIBLE_PIPELINING": "True", "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_GATHERING": "explicit", "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(work / "collections"),
            "ANSIBLE_DEPRECATION_WARNINGS": "False"}


def inventory(work: Path, sshd: Any, user: str, name: str = "bench") -> Path:
    """An INI inventory with one host reaching ``sshd`` as ``user`` with its key."""
    args = (f"-o UserKnownHostsFile={sshd.known_hosts} -o IdentitiesOnly=yes "
            "-o BatchMode=yes")
    path = work / f"inventory-{user}.ini"
    path.write_text(
        f"{name} ansible_host=127.0.0.1 ansible_port={sshd.port} ansible_user={user} "
        f"ansible_ssh_private_key_file={sshd.user_key} "
        f"ansible_python_interpreter={PYTHON_ON_TARGET} "
        f"ansible_ssh_common_args='{args}'\n")
    (work / "ansible.cfg").write_text("[defaults]\nstdout_callback = default\n")
    return path


def commands_playbook(work: Path, argv: list[str], n: int) -> Path:
    """``n`` command tasks running ``argv``: what a shell loop of n commands does."""
    tasks = [{"name": f"cmd {i}", "ansible.builtin.command": {"argv": argv},
              "changed_when": False, "failed_when": False} for i in range(n)]
    path = work / f"commands-{n}.yml"
    path.write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    return path


def lvol_playbook(work: Path, vg: str, lv: str, size: str, env: dict[str, str]) -> Path:
    """community.general.lvol growing ``vg/lv`` to ``size`` (run it with --check)."""
    task = {"name": f"extend {vg}/{lv}", "community.general.lvol":
            {"vg": vg, "lv": lv, "size": size, "resizefs": False},
            "environment": env}
    path = work / "lvol.yml"
    path.write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": [task]}]))
    return path


def run_playbook(playbook: Path, inv: Path, env: dict[str, str], *,
                 check: bool = False) -> Playbook:
    argv = [str(sideenv.ansible_playbook()), "-i", str(inv), str(playbook)]
    if check:
        argv.append("--check")
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    return Playbook(seconds, done.returncode, (done.stdout + done.stderr)[-3000:])


def stop_control_masters(work: Path) -> None:
    """Close the ControlPersist masters Ansible left behind (they would idle 60 s)."""
    for sock in (work / "cp").glob("*"):
        subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "x"],
                       capture_output=True, timeout=10)
