"""Many commands in one round trip: a stdlib-only Python program run on the host.

On a slow remote (a dom0 under QEMU TCG over SSH) each ``host.run`` costs a round
trip; ``run_batch`` sends a JSON list of argv lists to ``python3 -c PROGRAM`` and
gets every command's exit status and output back at once. ``ReplayHost`` then
answers the same argvs from those results, so code written against a Host (e.g.
``fxkit.lvm.state.read_lvm``) parses batch output through its usual path::

    results = run_batch(host, [["lvs", "--reportformat", "json"], ["vgs"]])
    results[0].exit_status, results[0].stdout
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fxkit.errors import ParseError
from fxkit.host import Exec, Host, normalize_argv

# Runs on the remote: no imports beyond the standard library, no shell. Reads
# {"env": {...}, "timeout": s, "commands": [argv | {"argv": argv, "input": str}, ...]}
# on stdin and prints one JSON list of results. Each command gets its own stdin
# (empty unless "input" is given) so the batch's JSON never leaks into a command.
PROGRAM = r'''
import json, os, subprocess, sys, time
req = json.load(sys.stdin)
env = dict(os.environ)
env.update(req.get("env") or {})
out = []
for cmd in req["commands"]:
    if isinstance(cmd, dict):
        argv, data = cmd["argv"], cmd.get("input")
    else:
        argv, data = cmd, None
    t0 = time.monotonic()
    res = {"exit_status": 0, "stdout": "", "stderr": "", "timed_out": False}
    try:
        p = subprocess.run(argv, input=(data or "").encode(), capture_output=True, env=env,
                           timeout=req.get("timeout") or None)
        res.update(exit_status=p.returncode, stdout=p.stdout.decode("utf-8", "replace"),
                   stderr=p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        res.update(exit_status=124, timed_out=True,
                   stdout=(e.stdout or b"").decode("utf-8", "replace"),
                   stderr=(e.stderr or b"").decode("utf-8", "replace"))
    except OSError as e:
        res.update(exit_status=127, stderr="%s: %s\n" % (argv[0], e.strerror))
    res["seconds"] = time.monotonic() - t0
    out.append(res)
json.dump(out, sys.stdout)
'''


@dataclass(frozen=True)
class BatchResult:
    """One command's outcome inside a batch."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    seconds: float = 0.0
    timed_out: bool = False


Command = Sequence[str] | tuple[Sequence[str], str]


def run_batch(host: Host, commands: Iterable[Command], *, env: Mapping[str, str] | None = None,
              timeout: float = 120.0, sudo: bool = False,
              total_timeout: float | None = None) -> list[BatchResult]:
    """Run ``commands`` in order on ``host`` in one ``python3`` process; results in order.

    A command is an argv, or ``(argv, stdin_text)``. ``env`` is added to the remote
    environment (``LC_ALL=C`` is always set so messages are untranslated); ``timeout``
    bounds each command, ``total_timeout`` the whole call (default: the sum).
    """
    items: list[tuple[tuple[str, ...], str | None]] = []
    for cmd in commands:
        if isinstance(cmd, tuple) and len(cmd) == 2 and isinstance(cmd[1], str) and \
                not isinstance(cmd[0], str):
            items.append((normalize_argv(cmd[0]), cmd[1]))
        else:
            items.append((normalize_argv(cmd), None))   # type: ignore[arg-type]
    if not items:
        return []
    request = {"env": {"LC_ALL": "C", **(env or {})}, "timeout": timeout,
               "commands": [list(a) if data is None else {"argv": list(a), "input": data}
                            for a, data in items]}
    limit = total_timeout if total_timeout is not None else timeout * len(items) + 30
    r = host.run(["python3", "-c", PROGRAM], input=json.dumps(request), sudo=sudo,
                 timeout=limit)
    try:
        raw = json.loads(r.stdout)
    except ValueError as e:
        raise ParseError(f"{host.name}: the batch program printed no JSON ({e}); stderr: "
                         f"{r.stderr[-500:]!r}. Is python3 installed there?") from e
    if not isinstance(raw, list) or len(raw) != len(items):
        raise ParseError(f"{host.name}: the batch program answered {len(raw)} results for "
                         f"{len(items)} commands")
    return [BatchResult(a, int(x["exit_status"]), x["stdout"], x["stderr"],
                        float(x.get("seconds", 0.0)), bool(x.get("timed_out")))
            for (a, _), x in zip(items, raw, strict=True)]


class ReplayHost(Host):
    """A Host answering recorded results in order; any other command fails loudly.

    ``read_lvm(ReplayHost(name, results))`` parses a batch's report outputs with
    the same code that reads a live host.
    """

    def __init__(self, name: str, results: Iterable[BatchResult]) -> None:
        super().__init__(name, audit=None)
        self.pending = list(results)

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        if not self.pending:
            raise AssertionError(f"ReplayHost {self.name}: unexpected command {list(argv)} "
                                 "(no recorded results left)")
        nxt = self.pending.pop(0)
        if nxt.argv != argv:
            raise AssertionError(f"ReplayHost {self.name}: expected {list(nxt.argv)}, "
                                 f"got {list(argv)}")
        return Exec(nxt.exit_status, nxt.stdout, nxt.stderr, nxt.timed_out)

    def read_file(self, path: str) -> str:
        raise AssertionError(f"ReplayHost {self.name}: read_file({path!r}) was not recorded")

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        raise AssertionError(f"ReplayHost {self.name}: write_file({path!r}) was not recorded")
