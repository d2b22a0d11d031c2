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

Modules: ``state`` (LabState), ``store`` (lab dir, locking, reset), ``transport``
(LabHost, run_request), ``shell`` (command registry), ``cmdline`` (the shell subset
for SSH command lines), ``cmd_system``/``cmd_files``/``cmd_edit``/``cmd_text``
(commands), ``hardware`` (/proc), ``faults``, ``server``/``sftp``/``session``
(the SSH server), ``daemon``/``serve`` (start, stop, status, keys, ssh_config);
``lvm_*``, ``xen_*``, ``net_*`` simulate the tools.
"""

from __future__ import annotations

from fxkit.host import Host
from fxkit.lab.store import DEFAULT_SCENARIO, LabStore, lab_dir, reset, scenarios
from fxkit.lab.transport import LabHost

__all__ = ["connect_lab", "LabHost", "LabStore", "lab_dir", "reset", "scenarios"]


def connect_lab(scenario: str | None = None, *, in_process: bool = False) -> Host:
    """A Host for the lab's ``scenario`` (default "fx"): SSH if served, else in-process."""
    from fxkit.lab.store import check_scenario
    name = check_scenario(scenario or DEFAULT_SCENARIO)
    label = "lab" if scenario in (None, DEFAULT_SCENARIO) else f"lab:{name}"
    if not in_process:
        from fxkit.lab import daemon
        st = daemon.status()
        if st is not None and name in st.ports:
            from fxkit.connect import ssh_host
            return ssh_host(name, ssh_config=str(st.root / "ssh_config"), name=label)
    return LabHost(name=label, scenario=name)
