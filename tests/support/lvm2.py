"""A throw-away real lvm2 on loop devices: sparse files, a private LVM_SYSTEM_DIR.

The config accepts only the sandbox's own loop devices, disables activation
(this kernel may have no device-mapper: LVs exist in metadata only), and keeps
backups and locks in the sandbox. Leaving the ``with`` block removes the VGs
and PVs it made and always detaches the loop devices::

    with Lvm2Sandbox.start(tmpdir, sizes_mib=[64, 64]) as box:
        host = connect("local")          # with box.env applied to os.environ
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

LVM = shutil.which("lvm") or "/usr/sbin/lvm"


def lvm2_missing_reason() -> str | None:
    """Why real lvm2 on loop devices cannot run here, or None if it can."""
    if not os.path.exists(LVM):
        return "lvm2 is not installed (apt-get install lvm2)"
    if not shutil.which("losetup"):
        return "losetup (util-linux) is not installed"
    if os.geteuid() != 0:
        return "loop devices and lvm2 need root"
    if not os.path.exists("/dev/loop-control"):
        return "this kernel has no loop device support (/dev/loop-control missing)"
    return None


CONFIG = """\
devices {{
    filter = [ {accept} "r|.*|" ]
    global_filter = [ {accept} "r|.*|" ]
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    use_devicesfile = 0
}}
global {{
    activation = {activation}
    locking_dir = "{base}/lock"
    use_lvmpolld = 0
}}
activation {{
    udev_sync = 0
    udev_rules = 0
    monitoring = 0
}}
backup {{
    backup_dir = "{base}/backup"
    archive_dir = "{base}/archive"
}}
"""


def sandbox_config(base: str | Path, accept: list[str], *, activation: bool = False) -> str:
    """An lvm.conf that scans only the devices matching the ``accept`` regexes and keeps
    locks and metadata backups under ``base``. Activation is off (this kernel may have no
    device-mapper) unless asked for; then lvm2 makes the LVs' device nodes itself instead
    of waiting for udev."""
    filters = " ".join(f'"a|{regex}|",' for regex in accept)
    return CONFIG.format(accept=filters, base=base, activation=int(activation))


@dataclass
class Lvm2Sandbox:
    base: Path
    loops: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"LVM_SYSTEM_DIR": str(self.base / "etc"), "LVM_SUPPRESS_FD_WARNINGS": "1",
                "LC_ALL": "C"}

    @classmethod
    def start(cls, base: str | Path, sizes_mib: list[int]) -> Lvm2Sandbox:
        box = cls(Path(base))
        for sub in ("etc", "lock", "backup", "archive"):
            (box.base / sub).mkdir(parents=True, exist_ok=True)
        try:
            for i, size in enumerate(sizes_mib):
                image = box.base / f"disk{i}.img"
                with open(image, "wb") as f:
                    f.truncate(size * 1024 * 1024)      # sparse: no real disk space used
                out = subprocess.run(["losetup", "--find", "--show", str(image)], check=True,
                                     capture_output=True, text=True).stdout.strip()
                box.loops.append(out)
            (box.base / "etc" / "lvm.conf").write_text(
                sandbox_config(box.base, [f"^{loop}$" for loop in box.loops]))
        except BaseException:
            box.stop()
            raise
        return box

    def lvm(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LVM, *args], capture_output=True, text=True, input=input,
                              errors="replace",
                              env={**os.environ, **self.env}, timeout=120)

    def stop(self) -> None:
        """Remove every VG and PV on the sandbox's loops, then detach them (always)."""
        try:
            if self.loops and (self.base / "etc" / "lvm.conf").exists():
                vgs = self.lvm("vgs", "--noheadings", "-o", "vg_name").stdout.split()
                for vg in vgs:
                    self.lvm("vgremove", "-f", "-y", vg)
                for loop in self.loops:
                    self.lvm("pvremove", "-f", "-y", loop)
        finally:
            for loop in self.loops:
                with suppress(subprocess.SubprocessError, OSError):
                    subprocess.run(["losetup", "-d", loop], capture_output=True, timeout=30)
            self.loops.clear()

    def __enter__(self) -> Lvm2Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
