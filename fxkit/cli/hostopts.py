"""The options of every command that connects to a host: ``--sudo``, ``-F/--ssh-config``,
``--accept-new-host-key``, handed to the command as one ``HostOptions`` value::

    @click.command()
    @click.argument("host", default="lab")
    @host_options
    def inventory(host: str, conn: HostOptions) -> None:
        with conn.connect(host) as h:
            click.echo(str(read_inventory(h)))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fxkit.connect import connect

if TYPE_CHECKING:
    from fxkit.host import Host

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class HostOptions:
    """How to reach and act on the host, as the command line said it."""

    sudo: bool = False
    ssh_config: str | None = None
    accept_new_host_key: bool = False

    def connect(self, target: str) -> Host:
        """``fxkit.connect(target, ...)`` with these options; nothing connects yet."""
        return connect(target, sudo=self.sudo, ssh_config=self.ssh_config,
                       accept_new_host_key=self.accept_new_host_key)


def host_options(func: F) -> F:
    """Add ``--sudo``, ``-F/--ssh-config`` and ``--accept-new-host-key`` to a click command;
    the command receives them as ``conn: HostOptions``."""
    @click.option("--sudo", is_flag=True,
                  help="Run every command on the host through `sudo -n` (log in as an "
                       "ordinary user; README: Real hosts shows the sudoers rule).")
    @click.option("-F", "--ssh-config", metavar="FILE", envvar="FXKIT_SSH_CONFIG",
                  type=click.Path(dir_okay=False),
                  help="Read this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config "
                       "(like ssh -F; default: $FXKIT_SSH_CONFIG).")
    @click.option("--accept-new-host-key", is_flag=True,
                  help="Record the host key in known_hosts if it is unknown (as OpenSSH's "
                       "StrictHostKeyChecking accept-new); a changed key is always refused.")
    @functools.wraps(func)
    def wrapper(*args: Any, sudo: bool, ssh_config: str | None, accept_new_host_key: bool,
                **kwargs: Any) -> Any:
        return func(*args, conn=HostOptions(sudo, ssh_config, accept_new_host_key), **kwargs)
    return wrapper  # type: ignore[return-value]
