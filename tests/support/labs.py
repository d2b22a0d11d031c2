"""The two labs the integration tests run on: the simulated fx and the real Xen lab in QEMU.

``Lab`` is what a test sees: the connect target (``lab`` or ``lab:real``), the lab dir
(``FXKIT_LAB_DIR``, which papermill's kernels inherit) and a plain OpenSSH client for checks,
so a test reads the host the way an operator would, not through fxkit.

The real lab is one VM for the whole session (booting and provisioning it takes minutes of
both cores): ``real_lab_session`` starts it in a fresh lab dir and stops it at the end. To
iterate on a test against a real lab that already runs, point ``FXKIT_TEST_REAL_LAB_DIR``
at its lab dir; it is then used as it is and left running.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REUSE_ENV = "FXKIT_TEST_REAL_LAB_DIR"


@dataclass(frozen=True)
class Lab:
    kind: str                   # "sim" or "real"
    target: str                 # what fxkit.connect and the runbooks' `host` take
    root: Path                  # FXKIT_LAB_DIR

    @property
    def real(self) -> bool:
        return self.kind == "real"

    def ssh(self, *argv: str, check: bool = True, timeout: float = 300) -> str:
        """Run a command with the plain OpenSSH client, as an operator would."""
        config, alias = ((self.root / "real" / "ssh_config", "fxkit-real") if self.real
                         else (self.root / "ssh_config", "fx"))
        done = subprocess.run(["ssh", "-F", str(config), alias, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check:
            assert done.returncode == 0, f"ssh {alias} {' '.join(argv)}: {done.stderr}"
        return done.stdout

    def xl_names(self) -> list[str]:
        return [ln.split()[0] for ln in self.ssh("xl", "list").splitlines()[1:] if ln.strip()]

    def lv_names(self, vg: str = "lvm") -> list[str]:
        out = self.ssh("lvs", "--noheadings", "-o", "lv_name", vg)
        return [w.strip() for w in out.splitlines() if w.strip()]


def notebook_text(rec) -> str:
    """Every text output of a run's executed notebook, joined (what a reviewer reads)."""
    import nbformat
    nb = nbformat.read(rec.notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") if o.output_type == "stream"
                         else o.get("data", {}).get("text/plain", "") or o.get("evalue", ""))
    return "\n".join(parts)


def restore_real(lab: Lab) -> None:
    """Put the real lab back to fx as provisioned, whatever a test left behind (there is
    no cheap reset of a real host): extra domUs destroyed, their configs, extra LVs and
    extra bridges removed, then fxkit's provisioning re-applied (titanic running)."""
    from fxkit.lab.real import real_host
    from fxkit.lab.real.provision import BRIDGES, GUEST, LVS, VG, VLAN, provision
    from fxkit.xen.domains import parse_list
    host = real_host()
    try:
        for dom in parse_list(host.run(["xl", "list"]).stdout):
            if dom.id != 0 and dom.name != GUEST:
                host.run(["xl", "destroy", dom.name], check=False, timeout=120)
        for name in host.run(["ls", "-1", "/etc/xen"]).stdout.split():
            if name.endswith(".cfg") and name != f"{GUEST}.cfg":
                host.run(["rm", "-f", f"/etc/xen/{name}"])
        keep_lvs = {name for name, _, _ in LVS}
        out = host.run(["lvs", "--noheadings", "-o", "lv_name", VG]).stdout.split()
        extra = [f"{VG}/{n}" for n in out if n not in keep_lvs]
        if extra:
            host.run(["lvremove", "-f", *extra], timeout=300)
        keep_links = {b for b, _ in BRIDGES} | {f"{VLAN[0]}.{VLAN[1]}"}
        for link in json.loads(host.run(["ip", "-j", "link", "show"]).stdout):
            name = link["ifname"]
            if name.startswith(("xenbr", "eth1.", "eth2.")) and name not in keep_links:
                host.run(["ip", "link", "del", name], check=False)
        host.run(["rm", "-f", "/etc/network/interfaces.d/xenbr3"], check=False)
        provision(host, say=lambda message: None)
    finally:
        host.close()


def real_lab_missing() -> str | None:
    """Why the real Xen lab cannot run here, or None."""
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
                          ("debootstrap", "debootstrap"), ("ssh", "openssh-client")):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian package {package})"
    if os.geteuid() != 0:
        return "building the real lab's image needs root (debootstrap and chroot)"
    return None


def real_lab_session() -> Iterator[Lab]:
    """Boot (or reuse) the real lab for the session; always leaves no QEMU behind."""
    if reason := real_lab_missing():
        pytest.skip(reason)
    from fxkit.lab.real import start_real, stop_real
    reuse = os.environ.get(REUSE_ENV)
    # A fresh lab dir of its own, so this provisions a new fx from scratch (fxkit's plans
    # are under test too). Not under pytest's basetemp: concurrent pytest sessions rotate
    # old basetemps away, which once deleted a running VM's known_hosts.
    root = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="fxkit-realxen-"))
    saved = os.environ.get("FXKIT_LAB_DIR")
    os.environ["FXKIT_LAB_DIR"] = str(root)
    try:
        info = start_real(how="pytest (the real-lab tier)")
        print(f"real lab: boot {info.boot_seconds} s, provision {info.provision_seconds} s, "
              f"RSS {info.rss_mb} MB")
    except BaseException:
        if not reuse:
            stop_real()                # never leave a QEMU behind
            shutil.rmtree(root, ignore_errors=True)
        _restore(saved)
        raise
    _restore(saved)
    try:
        yield Lab("real", "lab:real", root)
    finally:
        if not reuse:
            os.environ["FXKIT_LAB_DIR"] = str(root)
            try:
                stop_real()
            finally:
                _restore(saved)
                shutil.rmtree(root, ignore_errors=True)


def _restore(saved: str | None) -> None:
    if saved is None:
        os.environ.pop("FXKIT_LAB_DIR", None)
    else:
        os.environ["FXKIT_LAB_DIR"] = saved
