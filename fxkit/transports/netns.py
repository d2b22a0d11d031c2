"""A network namespace of this machine as a Host: every command runs under ``ip netns exec``.

Files go through the namespace too (``cat``, ``tee`` + ``mv``), so a test can give it
its own ``/etc/network``: ``ip netns exec`` bind-mounts ``/etc/netns/NAME/network`` over
``/etc/network`` for each command (see ip-netns(8))::

    >>> with NetnsHost.create("fxkit-test") as ns:                  # doctest: +SKIP
    ...     ns.run(["ip", "link", "add", "br0", "type", "bridge"])
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass

from fxkit.errors import ConnectionFailed
from fxkit.host import Exec
from fxkit.transports.local import LocalHost


@dataclass(eq=False)
class NetnsHost(LocalHost):
    """Runs argv inside network namespace ``netns`` (which must exist)."""

    name: str = "netns"
    netns: str = ""
    owned: bool = False

    @classmethod
    def create(cls, prefix: str = "fxkit-test", etc_network: bool = True) -> NetnsHost:
        """A fresh namespace ``PREFIX-XXXXXX`` with lo up and, optionally, its own /etc/network."""
        name = f"{prefix}-{secrets.token_hex(3)}"
        done = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
        if done.returncode != 0:
            raise ConnectionFailed(f"cannot create network namespace {name}: "
                                   f"{done.stderr.strip()} (needs root and iproute2)")
        host = cls(name=name, netns=name, owned=True)
        if etc_network:
            os.makedirs(f"/etc/netns/{name}/network/interfaces.d", exist_ok=True)
        host.run(["ip", "link", "set", "dev", "lo", "up"])
        return host

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        return super()._exec(("ip", "netns", "exec", self.netns, *argv), timeout=timeout,
                             input=input, read_only=read_only)

    def read_file(self, path: str) -> str:
        r = self.run(["cat", "--", path], check=False, read_only=True)
        if r.exit_status != 0:
            if "No such file" in r.stderr:
                raise FileNotFoundError(path)
            if "Is a directory" in r.stderr:
                raise IsADirectoryError(path)
            raise OSError(f"{self.name}: cannot read {path}: {r.stderr.strip()}")
        return r.stdout

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        tmp = f"{path}.fxkit-tmp"
        self.run(["tee", "--", tmp], input=content)
        if mode is not None:
            self.run(["chmod", f"{mode:o}", "--", tmp])
        self.run(["mv", "-f", "--", tmp, path])

    def destroy(self) -> None:
        """Delete the namespace (its links go with it) and its /etc/netns directory."""
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        shutil.rmtree(f"/etc/netns/{self.netns}", ignore_errors=True)
        try:
            os.rmdir("/etc/netns")  # only if no other namespace keeps files there
        except OSError:
            pass

    def close(self) -> None:
        if self.owned:
            self.destroy()
            self.owned = False
