"""Run one job per host on ``forks`` hosts at once; each host's failure stays its own.

    >>> results = run_fleet(hosts, job, forks=5, on_event=print)   # doctest: +SKIP

``job(host)`` returns ``(changed, data)`` or raises: a ``ConnectionFailed`` makes the
host "unreachable", any other error "failed" (its message, never a traceback); the
others go on. ``on_event`` sees ("start", host) and ("done", result) as they happen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fxkit.errors import ConnectionFailed, FxkitError
from fxkit.fleet.targets import FleetHost
from fxkit.secrets import mask

DEFAULT_FORKS = 5          # Ansible's default: a few SSH handshakes at once
STATUSES = ("ok", "changed", "failed", "unreachable")
Job = Callable[[FleetHost], tuple[bool, Any]]


@dataclass
class HostResult:
    """What happened on one host."""

    host: FleetHost
    status: str = "ok"          # ok, changed, failed, unreachable
    message: str = ""
    data: Any = None
    seconds: float = 0.0
    error: str = ""             # the error's class name, when it failed
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.host.name


def run_one(host: FleetHost, job: Job) -> HostResult:
    """``job(host)`` with its outcome classified; never raises (but KeyboardInterrupt)."""
    start = time.perf_counter()
    res = HostResult(host)
    try:
        changed, res.data = job(host)
        res.status = "changed" if changed else "ok"
    except ConnectionFailed as e:
        res.status, res.message, res.error = "unreachable", mask(str(e)), type(e).__name__
        res.data = getattr(e, "fleet_data", None)
    except FxkitError as e:
        res.status, res.message, res.error = "failed", mask(str(e)), type(e).__name__
        res.data = getattr(e, "fleet_data", None)
    except Exception as e:   # a bug or an unexpected library error: still this host only
        res.status, res.error = "failed", type(e).__name__
        res.message = mask(f"{type(e).__name__}: {e}")
    res.seconds = time.perf_counter() - start
    return res


def run_fleet(hosts: list[FleetHost], job: Job, *, forks: int = DEFAULT_FORKS,
              on_event: Callable[[str, Any], None] | None = None) -> list[HostResult]:
    """Run ``job`` on every host, ``forks`` at a time; results in the hosts' order."""
    if forks < 1:
        raise ValueError("forks must be at least 1")
    lock = threading.Lock()

    def say(kind: str, what: Any) -> None:
        if on_event is not None:
            with lock:
                on_event(kind, what)

    def one(host: FleetHost) -> HostResult:
        say("start", host)
        res = run_one(host, job)
        say("done", res)
        return res
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(forks, len(hosts)),
                            thread_name_prefix="fxkit-fleet") as pool:
        return list(pool.map(one, hosts))


def summary(results: list[HostResult]) -> dict[str, int]:
    """How many hosts ended in each status."""
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def all_succeeded(results: list[HostResult]) -> bool:
    return all(r.status in ("ok", "changed") for r in results)


def recap(results: list[HostResult]) -> str:
    """Ansible's PLAY RECAP, one line per host, then the totals."""
    width = max((len(r.name) for r in results), default=4)
    lines = ["FLEET RECAP " + "*" * 40]
    for r in results:
        counts = " ".join(f"{s}={int(r.status == s)}" for s in STATUSES)
        lines.append(f"{r.name.ljust(width)} : {counts}  ({r.seconds:.1f} s)")
        if r.message:
            first = r.message.splitlines()[0]
            lines.append(f"{'':{width}}   {r.status}: {first}")
    total = summary(results)
    lines.append(f"{len(results)} host(s): " + ", ".join(f"{n} {s}" for s, n in total.items()))
    return "\n".join(lines)
