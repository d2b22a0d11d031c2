"""Forwarding each audit line to syslog (journald reads /dev/log too), when asked to.

A local log can be rewritten by anyone with the operator's file access; a copy on a
remote log server (rsyslog forwarding, journald upload) cannot. Set::

    FXKIT_AUDIT_SYSLOG=1           # /dev/log, when it exists
    FXKIT_AUDIT_SYSLOG=/some/sock  # another Unix datagram socket

Each line is sent as ``fxkit-audit: <the JSON line>`` (facility user, level info) by
``logging.handlers.SysLogHandler``. Forwarding never fails a command: if the socket is
gone, one warning is printed on standard error and the local log is still written.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading

SETTING = "FXKIT_AUDIT_SYSLOG"
DEV_LOG = "/dev/log"
IDENT = "fxkit-audit: "
_OFF = {"", "0", "no", "off", "false"}
_handlers: dict[str, logging.handlers.SysLogHandler | None] = {}
_warned: set[str] = set()
_lock = threading.Lock()


def address() -> str | None:
    """The socket the setting names, or None when forwarding is off."""
    value = os.environ.get(SETTING, "").strip()
    if value.lower() in _OFF:
        return None
    if value.startswith("/"):
        return value
    return DEV_LOG if os.path.exists(DEV_LOG) else None


class _Handler(logging.handlers.SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        _warn(str(self.address), sys.exc_info()[1])


def _handler(where: str) -> logging.handlers.SysLogHandler | None:
    with _lock:
        if where not in _handlers:
            try:
                handler: logging.handlers.SysLogHandler | None = _Handler(
                    address=where, facility=logging.handlers.SysLogHandler.LOG_USER)
            except OSError as e:
                _warn(where, e)
                handler = None
            else:
                handler.ident = IDENT
            _handlers[where] = handler
        return _handlers[where]


def forward(line: str) -> None:
    """Send one audit line to syslog if ``FXKIT_AUDIT_SYSLOG`` says so (never raises)."""
    where = address()
    if where is None:
        return
    handler = _handler(where)
    if handler is None:
        return
    record = logging.LogRecord("fxkit.audit", logging.INFO, __file__, 0, line, None, None)
    handler.handle(record)


def _warn(where: str, error: BaseException | None) -> None:
    if where in _warned:
        return
    _warned.add(where)
    print(f"fxkit: cannot forward the audit log to syslog at {where}: {error}; the local "
          f"log is still written (unset {SETTING} to stop trying)", file=sys.stderr)
