"""The options of every command that connects to a host: ``--sudo``, ``-F/--ssh-config``,
``--accept-new-host-key``, handed to the command as one ``HostOptions`` value::

    @click.command()
    @click.argument("host", default="lab")
    @host_options
    def inventory(host: str, conn: HostOptions) -> None:
        with conn.connect(host) as h:
            click.echo(str(read_inventory(h)))

``-i/--inventory FILE`` (every command): HOST may name a host of that Ansible inventory,
reached as its variables say (``fxkit.fleet.targets``). ``fleet_options`` adds
``--limit PATTERN`` and ``--forks N`` to the commands that run on many hosts at once
(inventory, doctor, run), handed over as ``fleet: FleetOptions``.

``fxkit -v`` (and ``fxkit run -v``) turns on ``show_ssh_resolution``: the ``fxkit.ssh``
debug lines on standard error, which say whether ``ssh -G`` or Paramiko's parser
resolved each host and hop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fxkit.connect import connect

if TYPE_CHECKING:
    from fxkit.fleet import FleetHost, Inventory
    from fxkit.host import Host

F = TypeVar("F", bound=Callable[..., Any])
SSH_LOGGER = "fxkit.ssh"


@dataclass(frozen=True)
class HostOptions:
    """How to reach and act on the host, as the command line said it."""

    sudo: bool = False
    ssh_config: str | None = None
    accept_new_host_key: bool = False
    inventory: str | None = None

    def connect(self, target: str) -> Host:
        """``fxkit.connect(target, ...)`` with these options; nothing connects yet. With an
        inventory, a target that names one of its hosts is reached as the inventory says."""
        if self.inventory:
            inv = self.read_inventory()
            if target in inv.hosts:
                return self.connect_fleet_host(self.fleet_hosts([target], None, inv)[0])
        return connect(target, sudo=self.sudo, ssh_config=self.ssh_config,
                       accept_new_host_key=self.accept_new_host_key)

    def read_inventory(self) -> Inventory:
        from fxkit.fleet import read_inventory_file
        assert self.inventory is not None
        return read_inventory_file(self.inventory)

    def fleet_hosts(self, targets: list[str] | tuple[str, ...], limit: str | None,
                    inv: Inventory | None = None) -> list[FleetHost]:
        """The hosts to act on: with an inventory, those ``targets`` (as host patterns) and
        ``limit`` select; without, each target as it is."""
        from fxkit.fleet import FleetHost, resolve_hosts, select
        opts = {"ssh_config": self.ssh_config, "sudo": self.sudo,
                "accept_new_host_key": self.accept_new_host_key}
        if self.inventory or inv is not None:
            inv = inv or self.read_inventory()
            hosts = resolve_hosts(inv, ":".join(targets) if targets else None, **opts)
            if limit:
                keep = set(select(inv, limit))
                hosts = [h for h in hosts if h.name in keep]
            return hosts
        if limit:
            raise click.UsageError("--limit selects hosts of an inventory: add -i FILE")
        return [FleetHost(t, t, self.sudo, self.ssh_config, self.accept_new_host_key)
                for t in dict.fromkeys(targets)]

    @staticmethod
    def connect_fleet_host(h: FleetHost) -> Host:
        """A Host for one fleet host, named after it (its audit lines and lock say so)."""
        host = connect(h.target, sudo=h.sudo, ssh_config=h.ssh_config,
                       accept_new_host_key=h.accept_new_host_key)
        host.name = h.name
        return host


@dataclass(frozen=True)
class FleetOptions:
    """How many hosts: ``--limit PATTERN`` (Ansible's rules) and ``--forks N`` at once."""

    limit: str | None = None
    forks: int = 5


def host_options(func: F) -> F:
    """Add ``--sudo``, ``-F/--ssh-config`` and ``--accept-new-host-key`` to a click command;
    the command receives them as ``conn: HostOptions``."""
    @click.option("--sudo", is_flag=True,
                  help="Run every command on the host through `sudo -n`, for a login that "
                       "is not root (`fxkit sudoers USER` prints the sudoers rule it needs).")
    @click.option("-F", "--ssh-config", metavar="FILE", envvar="FXKIT_SSH_CONFIG",
                  type=click.Path(dir_okay=False),
                  help="Read this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config "
                       "(like ssh -F; default: $FXKIT_SSH_CONFIG).")
    @click.option("--accept-new-host-key", is_flag=True,
                  help="Record the host key in known_hosts if it is unknown (as OpenSSH's "
                       "StrictHostKeyChecking accept-new); a changed key is always refused.")
    @click.option("-i", "--inventory", metavar="FILE",
                  help="An Ansible inventory (INI, YAML, or anything ansible-inventory reads): "
                       "HOST names its hosts or groups.")
    @functools.wraps(func)
    def wrapper(*args: Any, sudo: bool, ssh_config: str | None, accept_new_host_key: bool,
                inventory: str | None, **kwargs: Any) -> Any:
        return func(*args, conn=HostOptions(sudo, ssh_config, accept_new_host_key, inventory),
                    **kwargs)
    return wrapper  # type: ignore[return-value]


def fleet_options(func: F) -> F:
    """Add ``--limit PATTERN`` and ``--forks N``; the command receives ``fleet: FleetOptions``."""
    @click.option("-l", "--limit", metavar="PATTERN",
                  help="Only the inventory hosts this Ansible host pattern selects, e.g. "
                       "'dom0s:!fx07', 'web*:&prod'.")
    @click.option("-f", "--forks", type=click.IntRange(1, 200), default=5, show_default=True,
                  help="Hosts worked on at once (each has its own connection).")
    @functools.wraps(func)
    def wrapper(*args: Any, limit: str | None, forks: int, **kwargs: Any) -> Any:
        return func(*args, fleet=FleetOptions(limit, forks), **kwargs)
    return wrapper  # type: ignore[return-value]


class _ClickStderr(logging.Handler):
    """Writes through click at each record, so it follows whatever stderr is current."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.name}: {record.getMessage()}", err=True)


def show_ssh_resolution(ctx: click.Context) -> None:
    """Until ``ctx`` closes, print the ``fxkit.ssh`` debug lines (which ssh_config parser
    answered for each host and hop) on standard error."""
    logger = logging.getLogger(SSH_LOGGER)
    if any(isinstance(h, _ClickStderr) for h in logger.handlers):
        return
    handler, level = _ClickStderr(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)
    ctx.call_on_close(restore)
