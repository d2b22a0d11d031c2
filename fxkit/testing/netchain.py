"""Network namespaces in a row, each reachable only from its neighbours: for ProxyJump tests.

``NetChain.create(3)`` makes this machine -> ns0 -> ns1 -> ns2, joined by veth pairs on
their own /24s. Namespaces have no default route and do not forward, and this machine
gets an ``unreachable`` route for the chain's /16, so ns2 can be reached only by
hopping through ns0 and ns1 (a connection straight to it fails at once)::

    with NetChain.create(3) as chain:
        chain.addresses      # ['10.231.1.2', '10.231.2.2', '10.231.3.2']
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


@dataclass
class NetChain:
    """``namespaces[i]`` has address ``addresses[i]`` on the link from its predecessor."""

    tag: str
    net: int                                  # the chain uses 10.NET.0.0/16
    namespaces: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, length: int) -> NetChain:
        chain = cls(secrets.token_hex(2), 200 + secrets.randbelow(50))
        try:
            _ip("route", "add", "unreachable", f"10.{chain.net}.0.0/16")
            for i in range(length):
                chain._add(i)
        except BaseException:
            chain.destroy()
            raise
        return chain

    def _add(self, i: int) -> None:
        ns = f"fxkit-hop{i}-{self.tag}"
        _ip("netns", "add", ns)
        self.namespaces.append(ns)
        _ip("-n", ns, "link", "set", "dev", "lo", "up")
        up, down = f"fxu{i}{self.tag}", f"fxd{i}{self.tag}"      # <= 15 characters
        near = ["-n", self.namespaces[i - 1]] if i else []
        _ip(*near, "link", "add", up, "type", "veth", "peer", "name", down, "netns", ns)
        prefix = f"10.{self.net}.{i + 1}"
        _ip(*near, "addr", "add", f"{prefix}.1/24", "dev", up)
        _ip(*near, "link", "set", "dev", up, "up")
        _ip("-n", ns, "addr", "add", f"{prefix}.2/24", "dev", down)
        _ip("-n", ns, "link", "set", "dev", down, "up")
        self.addresses.append(f"{prefix}.2")

    def destroy(self) -> None:
        """Delete the namespaces (their veths go with them) and the route; never raises."""
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces.clear()
        subprocess.run(["ip", "link", "del", f"fxu0{self.tag}"], capture_output=True)
        subprocess.run(["ip", "route", "del", "unreachable", f"10.{self.net}.0.0/16"],
                       capture_output=True)

    def __enter__(self) -> NetChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
