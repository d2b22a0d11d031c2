"""The lab: a simulated fx that answers like the real tools, in-process or over SSH.

``connect_lab`` (what ``fxkit.connect("lab")`` and ``connect("lab:fourier")``
call) picks the transport:

* if the lab's SSH server (``fxkit lab start``) serves that scenario, an
  ``SSHHost`` configured from the lab's ``ssh_config``, ``known_hosts`` and key:
  notebooks then exercise the real SSH path, and see the same state as a
  trainee's ``ssh -F <labdir>/ssh_config fx``;
* otherwise an in-process ``LabHost`` on the same persisted state (created from
  the scenario on first use), so nothing needs to be started for tests.

Both read and write the same ``<labdir>/<scenario>/state.json`` under its lock,
so switching between them (or mixing them) never loses a change.

Layout: ``state`` (LabState and its sections), ``store`` (lab dir, locking, reset,
scenarios), ``transport`` (LabHost, run_request), ``faults`` (injected failures),
``commands`` (the one table of every command the lab answers) and the subpackages
``shell`` (interpreter, the SSH command-line subset, coreutils-like commands,
/proc), ``lvm`` (lvm2 and the filesystem tools), ``xen`` (xl/xm), ``net`` (ip,
bridge, brctl, ifup/ifdown) and ``ssh`` (the SSH server, its daemon: start, stop,
status, keys, ssh_config); ``scenarios/`` holds the initial states and ``real/``
the real Xen lab under QEMU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxkit.host import Host
from fxkit.lab import faults
from fxkit.lab.store import DEFAULT_SCENARIO, LabStore, lab_dir, reset, scenarios
from fxkit.lab.transport import LabHost

# The SSH daemon's start/stop/status stay in fxkit.lab.ssh.daemon: importing it loads
# Paramiko, which `import fxkit.lab` (and `fxkit --help`) must not.
if TYPE_CHECKING:
    from fxkit.lab.ssh.status import ServerStatus

__all__ = ["connect_lab", "faults", "lab_served", "LabHost", "LabStore", "lab_dir", "reset",
           "scenarios"]


def connect_lab(scenario: str | None = None, *, in_process: bool = False) -> Host:
    """A Host for the lab's ``scenario`` (default "fx"): SSH if served, else in-process."""
    from fxkit.lab.store import check_scenario
    name = check_scenario(scenario or DEFAULT_SCENARIO)
    label = "lab" if scenario in (None, DEFAULT_SCENARIO) else f"lab:{name}"
    if not in_process and (st := _serving(name)) is not None:
        from fxkit.transports.ssh_config import ssh_host
        return ssh_host(name, ssh_config=str(st.root / "ssh_config"), name=label)
    return LabHost(name=label, scenario=name)


def lab_served(scenario: str | None = None) -> bool:
    """Whether ``connect_lab(scenario)`` goes over SSH (the lab's server serves it)."""
    from fxkit.lab.store import check_scenario
    return _serving(check_scenario(scenario or DEFAULT_SCENARIO)) is not None


def _serving(name: str) -> ServerStatus | None:
    """The lab server's status if it serves scenario ``name``, else None."""
    from fxkit.lab.ssh.status import status
    st = status()
    return st if st is not None and name in st.ports else None
