"""Shared by the Xen tests: an in-process fx lab whose VG ``lvm`` holds the domUs' LVs."""

from __future__ import annotations

from pathlib import Path

from fxkit.host import Exec
from fxkit.lab.shell import interpreter as shell
from fxkit.lab.transport import LabHost
from fxkit.testing.hosts import Call, FunctionHost

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


XL_LIST = ("xl", "list")
XL_LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
XL_LIST_DOM0 = "Domain-0                                     0  1024     2     r-----      10.0\n"


def xl_list_row(name: str, domid: int, state: str = "-b----") -> str:
    return f"{name:<40}{domid:>6}   128     1     {state}       0.4\n"


class XlSequenceHost(FunctionHost):
    """A dom0 whose `xl list` goes through ``lists`` (domU rows after Domain-0; the last one
    repeats), as the real Xen does while a domain shuts down or reboots; any other xl
    command answers ``answer``. ``polls`` counts the `xl list` calls, ``ran`` lists the
    other commands; reading a file finds none, writing one fails the test."""

    def __init__(self, lists: list[str], answer: Exec = Exec(0, "", "")) -> None:
        super().__init__(self._answer, name="fx")
        self.lists, self.answer = lists, answer

    @property
    def polls(self) -> int:
        return self.commands.count(XL_LIST)

    @property
    def ran(self) -> list[tuple[str, ...]]:
        return [argv for argv in self.commands if argv != XL_LIST]

    def _answer(self, call: Call) -> Exec:
        if call.argv != XL_LIST:
            return self.answer
        rows = self.lists[min(self.polls - 1, len(self.lists) - 1)]   # this call is counted
        return Exec(0, XL_LIST_HEADER + XL_LIST_DOM0 + rows, "")
