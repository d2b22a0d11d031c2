"""Checkpoints: the lab as each notebook expects it, as if the notebooks before it were done.

``checkpoint_text("03")`` is a fresh fx plus what notebooks 00 to 02 leave behind (their
demonstrations and their solutions), built in a scratch lab; ``reset_to`` installs it as
a trainee's lab::

    >>> reset_to("03")                      # doctest: +SKIP
    Lab of alice put at the start of notebook 03 (as if 00 to 02 were done).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fxkit.errors import InvalidRequest
from fxkit.host import Host

NOTEBOOKS = ("00", "01", "02", "03", "04", "05")


def _lvm_course(fx: Host) -> None:
    """01-lvm: odd made then removed, scratch 1G grown to 2.5G with ext4, data 3G ext4."""
    fx.run(["lvcreate", "-L", "1G", "-n", "scratch", "lvm"])
    fx.run(["mkfs.ext4", "/dev/lvm/scratch"])
    fx.run(["lvextend", "-r", "-L", "2560M", "lvm/scratch"])
    fx.run(["lvcreate", "-L", "2G", "-n", "data", "lvm"])
    fx.run(["mkfs.ext4", "/dev/lvm/data"])
    fx.run(["lvextend", "-r", "-L", "3G", "lvm/data"])


def _set_memory(fx: Host, name: str, memory: int) -> None:
    from fxkit.xen import DomainConfig

    path = f"/etc/xen/{name}.cfg"
    cfg = DomainConfig.parse(fx.read_file(path), path)
    cfg.set("memory", memory)
    fx.write_file(path, cfg.render())


def _xen_course(fx: Host) -> None:
    """02-xen: backup started and shut down, ns rebooted, web restarted with 384 MiB."""
    fx.run(["xl", "create", "/etc/xen/backup.cfg"])
    fx.run(["xl", "reboot", "ns"])
    fx.run(["xl", "shutdown", "-w", "backup"])
    fx.run(["xl", "shutdown", "-w", "web"])
    _set_memory(fx, "web", 384)
    fx.run(["xl", "create", "/etc/xen/web.cfg"])


def _network_course(fx: Host) -> None:
    """03-network: ns has a second vif, on xenbr1 (VLAN 42), and was restarted."""
    from fxkit.xen import DomainConfig, stable_mac

    cfg = DomainConfig.parse(fx.read_file("/etc/xen/ns.cfg"), "/etc/xen/ns.cfg")
    cfg.set("vif", [*cfg.get("vif"), f"mac={stable_mac('ns', 1)}, bridge=xenbr1"])
    fx.write_file("/etc/xen/ns.cfg", cfg.render())
    fx.run(["xl", "shutdown", "-w", "ns"])
    fx.run(["xl", "create", "/etc/xen/ns.cfg"])


def _exercise_course(fx: Host) -> None:
    """04-exercise: mail built by hand and running, wiki built by one plan."""
    from fxkit.xen import DomuSpec, plan_domu_create, read_domu_facts

    for spec in (DomuSpec("mail", memory=256, root_size="4G", swap_size="512M",
                          bridges=("xenbr0", "xenbr2")),
                 DomuSpec("wiki", memory=128, root_size="2G", swap_size="256M",
                          bridges=("xenbr0",))):
        plan_domu_create(read_domu_facts(fx), spec).apply(fx)


# what each notebook leaves in the lab (05-runbooks is the last: nothing comes after it)
LEAVES: dict[str, Callable[[Host], None]] = {
    "00": lambda fx: None, "01": _lvm_course, "02": _xen_course, "03": _network_course,
    "04": _exercise_course,
}


def check_notebook(notebook: str) -> str:
    """``notebook`` as a checkpoint name ("03"; "3" and "03-network" are taken too)."""
    text = str(notebook).strip()
    number = text.split("-", 1)[0].zfill(2) if text[:1].isdigit() else text
    if number not in NOTEBOOKS:
        raise InvalidRequest(f"no seminar notebook {notebook!r}: the checkpoints are "
                             f"{', '.join(NOTEBOOKS)} (the notebook's two-digit number)")
    return number


@cache
def checkpoint_text(notebook: str) -> str:
    """The lab state (dumped JSON of scenario "fx") at the start of ``notebook``."""
    from fxkit.lab import LabHost, reset
    from fxkit.lab.store import LabStore

    number = check_notebook(notebook)
    with tempfile.TemporaryDirectory(prefix="fxkit-checkpoint-") as tmp:
        reset("fx", root=tmp)
        fx = LabHost(name="lab", scenario="fx", root=tmp)
        for earlier in NOTEBOOKS[:NOTEBOOKS.index(number)]:
            LEAVES[earlier](fx)
        return LabStore("fx", tmp).state_file.read_text(encoding="utf-8")


def install_checkpoint(notebook: str, root: str | Path | None = None, *,
                       if_absent: bool = False) -> bool:
    """Put the lab at ``root`` (default: this trainee's) at ``notebook``'s checkpoint;
    with ``if_absent``, only a lab that does not exist yet. Returns whether it did."""
    from fxkit.lab.store import LabStore

    return LabStore("fx", root).install(checkpoint_text(notebook), if_absent=if_absent)
