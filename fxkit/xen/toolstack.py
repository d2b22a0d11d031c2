"""``Toolstack``: drive ``xl`` (the default) or ``xm`` on a Host, one command per method.

    >>> Toolstack(connect("lab")).domain("titanic").state       # doctest: +SKIP
    '-b----'
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fxkit.errors import CommandFailed, ConfirmationRequired, InvalidRequest, PreconditionFailed
from fxkit.polling import wait_until
from fxkit.xen.domains import (
    Domain,
    DomainDetails,
    VcpuInfo,
    XenInfo,
    parse_info,
    parse_list,
    parse_list_long,
    parse_vcpu_list,
)

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.result import Result

# What xl 4.17 and Debian's xen-utils wrapper print without a hypervisor (fixtures/xen/real/).
_NO_HYPERVISOR = ("cannot init xl context", "Can't find hypervisor information")


class Toolstack:
    """``xl`` (default) or ``xm`` on one host; every method runs one command."""

    def __init__(self, host: Host, tool: str = "xl", *, sudo: bool = False) -> None:
        if tool not in ("xl", "xm"):
            raise InvalidRequest(f"toolstack {tool!r}: use 'xl' (Xen >= 4.5) or 'xm' (older)")
        self.host, self.tool, self.sudo = host, tool, sudo

    def _run(self, *args: str, read_only: bool = False, timeout: float | None = None,
             check: bool = True) -> Result:
        with _no_hypervisor():
            return self.host.run([self.tool, *args], sudo=self.sudo, read_only=read_only,
                                 timeout=timeout, check=check)

    def read(self) -> tuple[list[Domain], list[DomainDetails], XenInfo]:
        """``list``, ``list -l`` (xl only) and ``info``, sent together (``run_reads``)."""
        with _no_hypervisor():
            results = self.host.run_reads(read_commands(self.tool), sudo=self.sudo)
        return (parse_list(results[0].stdout),
                parse_list_long(results[1].stdout) if self.tool == "xl" else [],
                parse_info(results[-1].stdout))

    def list(self) -> list[Domain]:
        return parse_list(self._run("list", read_only=True).stdout)

    def list_long(self) -> list[DomainDetails]:
        """Every domU's live configuration (xl only; xm's SXP is not read)."""
        if self.tool != "xl":
            return []
        return parse_list_long(self._run("list", "-l", read_only=True).stdout)

    def info(self) -> XenInfo:
        return parse_info(self._run("info", read_only=True).stdout)

    def vcpu_list(self) -> list[VcpuInfo]:
        return parse_vcpu_list(self._run("vcpu-list", read_only=True).stdout)

    def domain(self, name: str) -> Domain | None:
        return next((d for d in self.list() if d.name == name), None)

    def create(self, config_path: str) -> Result:
        """Start a domain from its config file (never ``-c``: consoles are not interactive)."""
        return self._run("create", config_path)

    def shutdown(self, name: str, *, wait: bool = True, timeout: float = 120.0) -> Result:
        """Ask the guest to power off; with ``wait`` block until it is gone (or time out).

        ``xl shutdown -w`` returns once the guest has shut down, while Xen may still list it
        as dying for a few seconds (seen on Xen 4.17); waiting also waits that out, so a
        create of the same name right after does not fail.
        """
        started = time.monotonic()
        result = self._run("shutdown", *(["-w"] if wait else []), name, timeout=timeout)
        left = max(timeout - (time.monotonic() - started), 1.0)
        if wait and not wait_until(lambda: self.domain(name) is None, left):
            raise PreconditionFailed(
                f"{result.host}: `{result.command_line}` returned, but {name} was still "
                f"listed {timeout:.0f} s after the request; look at `{self.tool} list`")
        return result

    def reboot(self, name: str) -> Result:
        return self._run("reboot", name)

    def destroy(self, name: str, *, confirm: str | None = None) -> Result:
        """Pull the plug on a domain: refused unless ``confirm`` repeats its name."""
        if confirm != name:
            raise ConfirmationRequired(
                f"destroying domain {name} kills it without a clean shutdown (like pulling the "
                f"power cord); nothing was run. Prefer shutdown(); to go ahead pass "
                f"confirm={name!r}", [name])
        return self._run("destroy", name)

    def console(self, name: str, *, timeout: float = 10.0) -> str:
        """The guest's recent console output, captured without attaching a terminal.

        Reads xenconsoled's log (``/var/log/xen/console/guest-NAME.log``, kept when
        xenconsoled runs with ``--log=guest``) and falls back to ``xl console``
        with a timeout (the lab prints the log and returns).
        """
        try:
            return self.host.read_file(f"/var/log/xen/console/guest-{name}.log")
        except Exception:  # noqa: BLE001 - any transport's "no such file"
            pass
        result = self._run("console", name, timeout=timeout, check=False)
        if result.exit_status != 0:
            raise CommandFailed(result)
        return result.stdout


def read_commands(tool: str = "xl") -> list[tuple[str, ...]]:
    """What ``Toolstack.read`` sends (for ``Host.reads_ahead``)."""
    return [(tool, "list"), *([(tool, "list", "-l")] if tool == "xl" else []), (tool, "info")]


@contextmanager
def _no_hypervisor() -> Iterator[None]:
    """An ``xl`` that cannot reach Xen fails with what to do about it."""
    try:
        yield
    except CommandFailed as e:
        if any(s in e.result.stderr for s in _NO_HYPERVISOR):
            raise CommandFailed(e.result, (
                f"{e.result.host}: `{e.result.command_line}` cannot reach a Xen hypervisor "
                "(xl prints 'cannot init xl context' or 'Can't find hypervisor "
                "information'): this machine is not running as a Xen dom0. Boot its Xen "
                "entry in GRUB, or point fxkit at the dom0")) from None
        raise
