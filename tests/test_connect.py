"""connect(target): the target syntax and its errors."""

import pytest

from fxkit import connect
from fxkit.errors import InvalidRequest
from fxkit.transports.local import LocalHost
from fxkit.transports.ssh import SSHHost


def test_local():
    assert isinstance(connect("local"), LocalHost)


def test_ssh_url():
    h = connect("ssh://admin@fx.example:2222")
    assert isinstance(h, SSHHost)
    assert (h.hostname, h.port, h.user) == ("fx.example", 2222, "admin")


def test_ssh_config_alias_and_proxyjump(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("Host fx\n  HostName 10.0.0.5\n  Port 2200\n  User root\n"
                   "  IdentityFile ~/.ssh/fx_key\n  ProxyJump bastion\n"
                   "Host bastion\n  HostName gw.example\n  User jump\n")
    h = connect("fx", ssh_config=str(cfg))
    assert (h.hostname, h.port, h.user) == ("10.0.0.5", 2200, "root")
    assert h.key_filenames[0].endswith("/.ssh/fx_key") and "~" not in h.key_filenames[0]
    assert h.jump is not None and (h.jump.hostname, h.jump.user) == ("gw.example", "jump")


def test_user_at_alias_overrides_config_user(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("Host fx\n  User root\n")
    assert connect("ops@fx", ssh_config=str(cfg)).user == "ops"


@pytest.mark.parametrize("bad", ["", "  ", "http://fx", "fx; rm -rf /", "a b"])
def test_bad_targets_are_refused(bad):
    with pytest.raises(InvalidRequest):
        connect(bad)


def test_nothing_connects_at_construction():
    h = connect("ssh://nobody@192.0.2.1:22")  # TEST-NET: never contacted
    assert not h.connected
