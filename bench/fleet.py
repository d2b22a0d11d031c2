"""Fleet inventory: 50 lab dom0s read at once vs one, and beside Ansible's `raw` over the same 50.

Both sides use what `fxkit lab start --hosts N` writes: its inventory.ini and ssh_config.
fxkit reads each host's full inventory (LVM, Xen, bridges: about fifteen commands on one
Paramiko connection per host) on ``--forks`` threads, exactly as `fxkit inventory -i`
does; Ansible runs one `lvs` per host with the `raw` module (the simulated lab has no
Python) through OpenSSH, with connection sharing off (fxkit opens a fresh connection per
run too). Target (issue 20): 50 hosts in at most 3x the time of one.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import Report, Target, interleaved

HOSTS = 50
LVS = "lvs --noheadings --units b --nosuffix -o vg_name,lv_name,lv_size"


@contextlib.contextmanager
def lab_fleet(n: int) -> Iterator[Path]:
    """A lab fleet of ``n`` hosts in a private lab dir (and audit log), stopped after."""
    from fxkit.lab.ssh import daemon
    saved = {k: os.environ.get(k) for k in ("FXKIT_LAB_DIR", "FXKIT_AUDIT_LOG")}
    with tempfile.TemporaryDirectory(prefix="fxkit-bench-fleet-") as tmp:
        root = Path(tmp)
        os.environ["FXKIT_LAB_DIR"] = str(root)
        os.environ["FXKIT_AUDIT_LOG"] = str(root / "audit.jsonl")
        try:
            daemon.start(["fx"], 0, root, hosts=n)
            try:
                yield root
            finally:
                daemon.stop(root)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def fxkit_reader(root: Path, pattern: str, forks: int) -> Any:
    """A function reading the inventory of the hosts ``pattern`` selects, as the CLI does."""
    from fxkit.cli.hostopts import HostOptions
    from fxkit.fleet import read_inventory_file, resolve_hosts, run_fleet
    from fxkit.inventory import read_inventory

    hosts = resolve_hosts(read_inventory_file(root / "inventory.ini"), pattern)

    def job(h: Any) -> tuple[bool, Any]:
        with HostOptions.connect_fleet_host(h) as host:
            return False, read_inventory(host)

    def read() -> None:
        results = run_fleet(hosts, job, forks=forks)
        bad = [f"{r.name}: {r.status} {r.message}" for r in results if r.status != "ok"]
        if bad:
            raise RuntimeError("fleet inventory failed: " + "; ".join(bad[:3]))
    return read


def fxkit_cli(root: Path, pattern: str, forks: int) -> Any:
    """``fxkit inventory -i inventory.ini PATTERN --forks N --json``, as a user runs it."""
    argv = [sys.executable, "-c", "from fxkit.cli import main; main()", "inventory", "-i",
            str(root / "inventory.ini"), pattern, "--forks", str(forks), "--json"]

    def run() -> None:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"fxkit inventory exited {done.returncode}: "
                               f"{done.stderr.strip()[-400:]}")
    return run


def cpu_split(root: Path, read: Any) -> tuple[float, float, float, float]:
    """Wall, this process's CPU, its children's (``ssh -G``) and the lab server's, in
    seconds, for one ``read()``."""
    import json
    import resource
    pid = json.loads((root / "server.json").read_text())["pid"]

    def server() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def used(who: int) -> float:
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime
    kids = resource.RUSAGE_CHILDREN
    wall, c0, k0, s0 = time.perf_counter(), used(resource.RUSAGE_SELF), used(kids), server()
    read()
    return (time.perf_counter() - wall, used(resource.RUSAGE_SELF) - c0, used(kids) - k0,
            server() - s0)


def cpu_floor(command_one: float, read_one: float, cpu_many: float, cores: int) -> float:
    """The least time the many-host command can take on ``cores`` cores when the hosts'
    reads need ``cpu_many`` seconds of CPU in all (fxkit, ``ssh -G``, the lab server, all
    on this machine): the command's own part (the one-host command less one host's read)
    plus that CPU spread perfectly over every core."""
    return (command_one - read_one) + cpu_many / cores


def ansible_bin() -> Path | None:
    for where in (Path(sys.executable).parent, Path(__file__).parent / ".venv-ansible" / "bin"):
        if (where / "ansible").exists():
            return where / "ansible"
    return None


def ansible_raw(root: Path, ansible: Path, pattern: str, forks: int) -> Any:
    work = root / "ansible"
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    (work / "ansible.cfg").write_text("[defaults]\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
           "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "ANSIBLE_HOME": str(work),
           "ANSIBLE_SSH_ARGS": "-o ControlMaster=no", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_GATHERING": "explicit"}
    argv = [str(ansible), pattern, "-i", str(root / "inventory.ini"), "-m", "raw",
            "-a", LVS, "-f", str(forks), "-o"]

    def run() -> None:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"ansible exited {done.returncode}: "
                               f"{(done.stdout + done.stderr).strip()[-400:]}")
    return run


def run(reps: int = 5, quick: bool = False, hosts: int = HOSTS) -> Report:
    n = min(hosts, 4) if quick else hosts
    reps = 1 if quick else reps
    rep = Report(f"Fleet: inventory of {n} lab hosts vs one, and beside ansible -m raw")
    one, many, many5 = ("fxkit inventory, 1 host", f"fxkit inventory, {n} hosts, forks {n}",
                        f"fxkit inventory, {n} hosts, forks 5")
    a_one, a_many, a_many5 = ("ansible -m raw lvs, 1 host", f"ansible -m raw lvs, {n} hosts, "
                              f"forks {n}", f"ansible -m raw lvs, {n} hosts, forks 5")
    c_one, c_many = "fxkit inventory -i (command), 1 host", f"fxkit inventory -i (command), " \
        f"{n} hosts, forks {n}"
    with lab_fleet(n) as root:
        fns = {one: fxkit_reader(root, "fx01", 1), many: fxkit_reader(root, "all", n),
               many5: fxkit_reader(root, "all", 5), c_one: fxkit_cli(root, "fx01", 1),
               c_many: fxkit_cli(root, "all", n)}
        ansible = None if quick else ansible_bin()
        if ansible is None:
            rep.skipped["ansible"] = ("--quick" if quick else
                                      "no ansible in .venv (pip install -e '.[test]')")
        else:
            fns[a_one] = ansible_raw(root, ansible, "fx01", 1)
            fns[a_many] = ansible_raw(root, ansible, "all", n)
            fns[a_many5] = ansible_raw(root, ansible, "all", 5)
        rep.rows = interleaved(fns, reps=reps, unit="run")
        splits = sorted((cpu_split(root, fns[many]) for _ in range(3)),
                        key=lambda s: s[1] + s[2] + s[3])
        wall, cpu, kids, server = splits[1]     # the median read by its total CPU
        rep.notes.append(f"where {n} hosts' time goes (one read, forks {n}): {wall:.2f} s wall, "
                         f"{cpu:.2f} s CPU in fxkit (SSH client, parsing), {kids:.2f} s in "
                         f"`ssh -G` (one per host), {server:.2f} s in the lab server (SSH "
                         f"server, simulated commands): {(cpu + kids + server) / n * 1e3:.1f} "
                         f"ms of CPU per host, on {os.cpu_count()} cores")
    t = {r.name: r.median for r in rep.rows}
    cores = os.cpu_count() or 1
    floor = cpu_floor(t[c_one], t[one], cpu + kids + server, cores)
    rep.ratios[f"least possible fxkit inventory -i {n} hosts / 1 host on {cores} cores "
               "(the CPU the reads need, spread perfectly)"] = floor / t[c_one]
    rep.ratios[f"fxkit {n} hosts (forks {n}) / 1 host"] = t[many] / t[one]
    rep.ratios[f"fxkit {n} hosts (forks 5) / 1 host"] = t[many5] / t[one]
    rep.ratios[f"fxkit inventory -i (command) {n} hosts / 1 host"] = t[c_many] / t[c_one]
    # the target as a user meets it: the command, timed like Ansible's below
    rep.targets.append(Target(f"fxkit inventory -i: {n} hosts (forks {n}) / 1 host",
                              t[c_many] / t[c_one], 3.0, measured=t[c_many],
                              baseline=t[c_one], baseline_name="1 host", unit="s"))
    if ansible is not None:
        rep.ratios[f"ansible raw {n} hosts (forks {n}) / 1 host"] = t[a_many] / t[a_one]
        rep.ratios[f"fxkit full inventory / ansible raw lvs, {n} hosts, forks {n}"] = \
            t[c_many] / t[a_many]
    rep.notes.append("fxkit reads LVM, Xen and bridges (about 15 commands per host); "
                     "Ansible runs one lvs per host")
    return rep
