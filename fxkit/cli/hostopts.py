"""The options of every command that connects to a host: ``--sudo``, ``-F/--ssh-config``,
``--accept-new-host-key``, handed to the command as one ``HostOptions`` value::

    @click.command()
    @click.argument("host", default="lab")
    @host_options
    def inventory(host: str, conn: HostOptions) -> None:
        with conn.connect(host) as h:
            click.echo(str(read_inventory(h)))

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
    from fxkit.host import Host

F = TypeVar("F", bound=Callable[..., Any])
SSH_LOGGER = "fxkit.ssh"


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
                  help="Run every command on the host through `sudo -n`, for a login that "
                       "is not root (`fxkit sudoers USER` prints the sudoers rule it needs).")
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
