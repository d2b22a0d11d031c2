"""How the host reaches the real lab's dom0: its ssh_config and known_hosts, and waiting for it."""

from __future__ import annotations

import time
from pathlib import Path

from fxkit.errors import FxkitError, LabError
from fxkit.lab.real import vm
from fxkit.lab.real.paths import ImagePaths, StatePaths, state_paths
from fxkit.transports.ssh import SSHHost

ALIAS = "fxkit-real"


def real_host(connect_timeout: float = 90.0, lab: Path | None = None) -> SSHHost:
    """An SSHHost for the running real lab's dom0 (root, key only, known host key);
    ``lab`` is the lab dir (default ``$FXKIT_LAB_DIR``)."""
    from fxkit.transports.ssh_config import ssh_host
    host = ssh_host(ALIAS, ssh_config=str(state_paths(lab).ssh_config), name="lab:real")
    host.connect_timeout = connect_timeout
    return host


def write_ssh_files(sp: StatePaths, image: ImagePaths, port: int) -> None:
    # The host keys were generated into the image at build time, so they are known
    # before the first connection: nothing is ever accepted blindly.
    keys = [ln.split()[:2] for ln in image.host_keys.read_text().splitlines() if ln.strip()]
    sp.known_hosts.write_text("".join(f"[127.0.0.1]:{port} {t} {k}\n" for t, k in keys))
    sp.ssh_config.write_text(
        f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n"
        f"  IdentityFile {image.key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {sp.known_hosts}\n  StrictHostKeyChecking yes\n")


def wait_ssh(sp: StatePaths, pid: int, started: float, timeout: float,
             patience: float = 90.0) -> tuple[SSHHost, str]:
    """Wait until dom0 answers SSH and ``xl list``; the connected host and that listing.

    ``patience`` bounds one banner probe: sshd re-executes itself per connection, and on a
    loaded TCG host the banner alone took 24 s during boot.
    """
    last = ""
    while time.monotonic() - started < timeout:
        if not vm.alive(pid):
            raise LabError(f"the real lab's QEMU exited during boot. Serial console tail:\n"
                           f"{vm.serial_tail(sp)}")
        port = (vm.VmState.load(sp.state) or vm.VmState(0, 0, "", 0.0)).port
        banner = vm.ssh_banner(port, timeout=patience)
        if banner.startswith("SSH-"):
            host = real_host(lab=sp.root.parent)
            try:
                # Ready means Xen's toolstack answers, not only sshd.
                r = host.run(["xl", "list"], timeout=120, check=False)
                if r.ok:
                    return host, r.stdout
                last = f"sshd answers, `xl list` not yet: {r.stderr.strip()[-200:]}"
            except FxkitError as e:
                last = str(e)
            host.close()
        else:
            last = banner or "no SSH banner yet"
        time.sleep(0.5 if patience < 10 else 2)
    vm.kill(pid)
    raise LabError(f"the real lab's dom0 did not answer SSH within {timeout:.0f} s "
                   f"(last: {last}); QEMU was stopped. Serial console tail:\n{vm.serial_tail(sp)}")


__all__ = ["ALIAS", "real_host", "write_ssh_files", "wait_ssh"]
