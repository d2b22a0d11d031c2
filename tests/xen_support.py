"""Shared by the Xen tests: an in-process fx lab whose VG ``lvm`` holds the domUs' LVs."""

from __future__ import annotations

from pathlib import Path

from fxkit.host import Exec, Host
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


XL_LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
XL_LIST_DOM0 = "Domain-0                                     0  1024     2     r-----      10.0\n"


def xl_list_row(name: str, domid: int, state: str = "-b----") -> str:
    return f"{name:<40}{domid:>6}   128     1     {state}       0.4\n"


class XlSequenceHost(Host):
    """A dom0 whose `xl list` goes through ``lists`` (domU rows after Domain-0; the last one
    repeats), as the real Xen does while a domain shuts down or reboots; any other xl
    command answers ``answer``. ``polls`` counts the `xl list` calls."""

    def __init__(self, lists: list[str], answer: Exec = Exec(0, "", "")) -> None:
        super().__init__("fx", audit=None)
        self.lists, self.answer, self.polls, self.ran = lists, answer, 0, []

    def _exec(self, argv, *, timeout, input, read_only):  # type: ignore[no-untyped-def]
        if argv != ("xl", "list"):
            self.ran.append(argv)
            return self.answer
        rows = self.lists[min(self.polls, len(self.lists) - 1)]
        self.polls += 1
        return Exec(0, XL_LIST_HEADER + XL_LIST_DOM0 + rows, "")

    def read_file(self, path: str) -> str:
        raise FileNotFoundError(path)

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        raise AssertionError("no writes")
