"""The two labs the integration tests run on: the simulated fx and the real Xen lab in QEMU.

``Lab`` is what a test sees: the connect target (``lab`` or ``lab:real``), the lab dir
(``FXKIT_LAB_DIR``, which papermill's kernels inherit) and a plain OpenSSH client for checks,
so a test reads the host the way an operator would, not through fxkit.

The session's real labs (one for the tests that take ``real_lab``, a second one for work
that runs in the background) are managed by ``support.labs_real``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


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
        done = subprocess.run(["ssh", "-F", str(config), *self.mux_options(), alias, *argv],
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check:
            assert done.returncode == 0, f"ssh {alias} {' '.join(argv)}: {done.stderr}"
        return done.stdout

    def mux_options(self, persist: int = 60) -> list[str]:
        """On the real lab, one SSH connection shared by the checks (OpenSSH's
        ControlMaster): a new login costs dom0 about 0.5 s of emulated CPU, a command on
        the shared connection a fifth of that. It follows the lab to a new port after a
        restore (``%C`` hashes host and port), and ``close_mux`` ends it."""
        path = self.root / "real" / "mux-%C"
        if not self.real or len(str(path)) + 36 > 100:     # %C is 40 hex digits
            return []
        return ["-o", "ControlMaster=auto", "-o", f"ControlPath={path}",
                "-o", f"ControlPersist={persist}"]

    def close_mux(self) -> None:
        """End the shared connection, if one is open (no OpenSSH process is left behind)."""
        if self.mux_options():
            subprocess.run(["ssh", "-F", str(self.root / "real" / "ssh_config"),
                            *self.mux_options(), "-O", "exit", "fxkit-real"],
                           capture_output=True, timeout=30, check=False)

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


def real_diagnostics(lab: Lab) -> str:
    """What a failed test left on the real lab, before a restore wipes it: the domains,
    Xen's and xl's last words, the hotplug log."""
    out = []
    logs = ["/var/log/xen/xl-titanic.log", "/var/log/xen/xen-hotplug.log"]
    for argv in (["xl", "list"], ["xl", "dmesg"], ["tail", "-n", "25", *logs], ["uptime"]):
        try:
            text = lab.ssh(*argv, check=False, timeout=60)
        except subprocess.TimeoutExpired:
            text = "(timed out)"
        out.append(f"$ {' '.join(argv)}\n" + "\n".join(text.splitlines()[-25:]))
    return "\n".join(out)


def restore_real(lab: Lab) -> None:
    """Put the real lab back to fx as provisioned, whatever a test left behind: its disks
    are discarded and the saved "fx, provisioned" snapshot restored (seconds)."""
    from fxkit.lab.real import reset_real
    reset_real(lab=lab.root, how="pytest (restored after a failed test)",
               progress=lambda message: None)


def real_lab_missing() -> str | None:
    """Why the real Xen lab cannot run here, or None."""
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
                          ("debootstrap", "debootstrap"), ("ssh", "openssh-client")):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian package {package})"
    if os.geteuid() != 0:
        return "building the real lab's image needs root (debootstrap and chroot)"
    return None
