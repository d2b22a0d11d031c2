"""ProxyJump with two hops, on real sshds in a row of network namespaces: the target is
reachable only through hop1 then hop2, each hop's host key is checked, and a bad second
hop fails the connection with its name in the message."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from fxkit import connect
from fxkit.errors import ConnectionFailed, HostKeyRejected
from fxkit.testing.netchain import NetChain
from fxkit.testing.sshd import TestSshd, sshd_missing_reason
from fxkit.transports import openssh

pytestmark = [pytest.mark.sshd, pytest.mark.netns]


def _netns_reason() -> str | None:
    if shutil.which("ip") is None:
        return "iproute2 is not installed"
    probe = subprocess.run(["ip", "netns", "add", "fxkit-probe-jump"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.strip()} (needs root)"
    subprocess.run(["ip", "netns", "del", "fxkit-probe-jump"], capture_output=True)
    return None


@pytest.fixture(scope="module")
def chain():
    """(config path, addresses): sshd in ns0 (hop1), ns1 (hop2) and ns2 (the target)."""
    if reason := sshd_missing_reason() or _netns_reason():
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="fxkit-jump-"))
    base.chmod(0o755)
    servers: list[TestSshd] = []
    with NetChain.create(3) as net:
        try:
            for i, (ns, address) in enumerate(zip(net.namespaces, net.addresses, strict=True)):
                servers.append(TestSshd.start(base / f"sshd{i}", address=address, netns=ns))
            hop1, hop2, target = servers
            down = net.addresses[1].rsplit(".", 1)[0] + ".99"      # nothing answers there
            unknown = base / "empty_known_hosts"
            unknown.write_text("")
            cfg = base / "ssh_config"
            cfg.write_text(
                hop1.stanza("hop1") + hop2.stanza("hop2")
                + target.stanza("target", ProxyJump="hop1,hop2")
                + target.stanza("direct", ConnectTimeout=3)
                + hop2.stanza("hop2-unknown-key", UserKnownHostsFile=unknown)
                + target.stanza("target-via-unknown-key", ProxyJump="hop1,hop2-unknown-key")
                + hop2.stanza("hop2-down", HostName=down, ConnectTimeout=3)
                + target.stanza("target-via-down", ProxyJump="hop1,hop2-down"))
            yield cfg, net.addresses
        finally:
            for server in servers:
                server.stop()
            shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("source", ["ssh -G", "paramiko"])
def test_two_hops_reach_the_target_only_through_both(chain, monkeypatch, source):
    cfg, addresses = chain
    if source == "paramiko":
        monkeypatch.setattr(openssh, "ssh_client", lambda: None)
    with connect("target", ssh_config=str(cfg)) as h:
        assert h.config_source == source
        assert h.jump is not None and h.jump.jump is not None      # hop2, then hop1
        addrs = h.run(["ip", "-o", "-4", "addr", "show"]).stdout
        assert addresses[2] in addrs and addresses[1] not in addrs  # we are in ns2
        client = h.run(["sh", "-c", "echo $SSH_CONNECTION"]).stdout.split()[0]
        assert client == addresses[2].rsplit(".", 1)[0] + ".1"       # it came from hop2
    with pytest.raises(ConnectionFailed, match="cannot connect to .*(No route|unreachable)"):
        connect("direct", ssh_config=str(cfg)).run(["true"])        # no way around the hops


def test_a_second_hop_with_an_unknown_key_fails_the_connection(chain):
    cfg, _ = chain
    with pytest.raises(HostKeyRejected, match=r"target-via-unknown-key: through jump host "
                                               r"hop2-unknown-key: .*unknown host key"):
        connect("target-via-unknown-key", ssh_config=str(cfg)).run(["true"])


def test_a_second_hop_that_cannot_be_reached_fails_the_connection(chain):
    cfg, addresses = chain
    down = addresses[1].rsplit(".", 1)[0] + ".99"
    with pytest.raises(ConnectionFailed, match=rf"through jump host hop2-down: .*jump host "
                                                rf"hop1 cannot reach {down}:22"):
        connect("target-via-down", ssh_config=str(cfg)).run(["true"])
