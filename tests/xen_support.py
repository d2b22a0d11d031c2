"""Shared by the Xen tests: an in-process fx lab whose VG ``lvm`` holds the domUs' LVs."""

from __future__ import annotations

from pathlib import Path

from fxkit.lab import shell
from fxkit.lab.transport import LabHost

PV = "/dev/cciss/c0d0p2"
FX_LVS = {"secours-root": "2g", "secours-swap": "256m", "ns-root": "2g", "ns-swap": "256m",
          "web-root": "4g", "web-swap": "512m", "backup-root": "8g", "backup-swap": "256m"}


def fx_lab(root: Path, scenario: str = "fx") -> LabHost:
    """A fresh lab; until the LVM scenario data lands, build VG lvm and its LVs here."""
    host = LabHost(name="lab", scenario=scenario, root=str(root))
    with host.store.transaction() as state:
        if scenario == "fx" and state.lvm.vg("lvm") is None:
            state.lvm.devices.setdefault(PV, 71662731264)
            for argv in (["pvcreate", PV], ["vgcreate", "lvm", PV]):
                status, _, err = shell.execute(state, argv)
                assert status == 0, err
            for lv, size in FX_LVS.items():
                status, _, err = shell.execute(state, ["lvcreate", "-L", size, "-n", lv, "lvm"])
                assert status == 0, err
    return host


def run(host: LabHost, *argv: str) -> str:
    return host.run(list(argv)).stdout
