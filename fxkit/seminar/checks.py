"""The seminar's helpers: a fresh lab for the notebook, and the checks of its exercises.

    >>> fx = start()                                                # doctest: +SKIP
    >>> check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")        # doctest: +SKIP
    ✅ lvm/scratch is there: 2.00 GiB, ext4 filesystem
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fxkit.errors import CommandFailed, FxkitError
from fxkit.host import Host


def start(scenario: str = "fx", *, reset: bool = True) -> Host:
    """Reset the lab to a fresh copy of ``scenario``, point ``%fx`` at it, return its Host."""
    import fxkit
    from fxkit import lab, magics

    if reset:
        lab.reset(scenario)
    host = fxkit.connect("lab" if scenario == "fx" else f"lab:{scenario}")
    magics.use_host(host)
    print(f"Lab ready: {'a fresh copy of' if reset else 'the current'} {scenario!r}, "
          f"reached as {host.name!r}. %fx commands run there.")
    return host


def runs_dir() -> str:
    """Where the notebooks write runbook runs: ``$FXKIT_RUNS_DIR``, else ``runs``."""
    return os.environ.get("FXKIT_RUNS_DIR") or "runs"


def run_runbook(name: str, parameters: dict | None = None, **options: object) -> object:
    """``fxkit.runbook.runner.run_runbook`` for the course: runs go to ``runs_dir()``, and the
    runbook kernel's own log lines (kernel start-up and shutdown chatter on its stderr,
    not the runbook's output, which is in the executed notebook) stay off the page."""
    from fxkit.runbook.runner import run_runbook as run

    options.setdefault("runs_dir", runs_dir())
    with _kernel_stderr_silenced():
        return run(name, parameters, **options)  # type: ignore[arg-type]


@contextmanager
def _kernel_stderr_silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)  # inherited by the kernel papermill starts
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass
class Check:
    """The answer of an exercise check: passed or not, why, and what to look at."""

    ok: bool
    message: str
    details: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        mark = "✅" if self.ok else "❌ not yet:"
        return "\n".join([f"{mark} {self.message}", *(f"   - {d}" for d in self.details)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour, bg = ("#27ae60", "#eafaf1") if self.ok else ("#c0392b", "#fdecea")
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        mark = "✅" if self.ok else "❌ not yet:"
        return (f"<div class='fxkit-check' style='border-left:4px solid {colour};"
                f"background:{bg};padding:4px 8px'>{mark} {html.escape(self.message)}"
                f"{f'<ul>{items}</ul>' if items else ''}</div>")


def _size(text: str | int) -> int:
    from fxkit.lvm.sizes import parse_size
    return text if isinstance(text, int) else parse_size(text, allow_sign=False).value


def _gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB"


def check_lv(host: Host, vg: str, lv: str, *, size: str | int | None = None,
             fs: str | None = None) -> Check:
    """Is ``vg/lv`` there, of ``size`` (LVM syntax), with a filesystem ``fs`` filling it?"""
    from fxkit.lvm.names import LvRef
    from fxkit.lvm.state import read_lvm

    found = read_lvm(host).lv(LvRef(vg, lv))
    if found is None:
        return Check(False, f"{vg}/{lv} does not exist",
                     [f"create it with lvcreate -n {lv} ... {vg}"])
    have = found.size_bytes
    problems: list[str] = []
    if size is not None and have != _size(size):
        problems.append(f"it is {_gib(have)}, the exercise asks for {_gib(_size(size))}")
    what = f"{vg}/{lv} is there: {_gib(have)}"
    if fs is not None:
        seen = _filesystem(host, f"/dev/{vg}/{lv}")
        if seen is None or seen[0] != fs:
            problems.append(f"it holds {seen[0] if seen else 'no filesystem'}, not {fs}")
        elif seen[1] is not None and seen[1] < have:
            problems.append(f"its {fs} filesystem covers {_gib(seen[1])} of {_gib(have)}: "
                            "grow it too (resize2fs, or lvextend -r)")
        else:
            what += f", {fs} filesystem"
    return Check(not problems, what if not problems else f"{vg}/{lv} is not as asked", problems)


def _filesystem(host: Host, device: str) -> tuple[str, int | None] | None:
    """(type, size in bytes or None) of the filesystem on ``device``: ``blkid``, ``e2fsck -n``."""
    r = host.run(["blkid", device], check=False, read_only=True)
    kind = re.search(r' TYPE="([^"]+)"', r.stdout)
    if r.exit_status != 0 or kind is None:
        return None
    if not kind.group(1).startswith("ext"):
        return kind.group(1), None
    block = re.search(r' BLOCK_SIZE="(\d+)"', r.stdout)
    # e2fsck -n opens read-only and prints "DEV: clean, I/I files, B/B blocks"
    d = host.run(["e2fsck", "-n", device], check=False, read_only=True)
    blocks = re.search(r"\d+/(\d+) blocks", d.stdout)
    if blocks is None:
        return kind.group(1), None
    return kind.group(1), int(blocks.group(1)) * int(block.group(1) if block else 4096)


def check_domu(host: Host, name: str, *, running: bool | None = True,
               memory: int | None = None, bridges: Iterable[str] | None = None) -> Check:
    """Is domU ``name`` defined (config in /etc/xen), running (or stopped, or either: None),
    with this memory and these bridges?"""
    from fxkit.xen.facts import read_xen

    facts = read_xen(host)
    problems: list[str] = []
    found = facts.config_for(name)
    if found is None:
        problems.append(f"no config file in /etc/xen says name = \"{name}\"")
    dom = facts.domain(name)
    if running and (dom is None or not dom.alive):
        problems.append(f"{name} is not running: start it with xl create /etc/xen/{name}.cfg")
    elif running is False and dom is not None and dom.alive:
        problems.append(f"{name} is still running: shut it down (xl shutdown -w {name})")
    if memory is not None and found is not None and found[1].memory != memory:
        problems.append(f"its config gives memory = {found[1].memory}, not {memory}")
    elif memory is not None and running and dom is not None and dom.memory != memory:
        problems.append(f"it runs with {dom.memory} MiB: the config changed, restart the "
                        "domain (shutdown, then create) for it to take effect")
    if bridges is not None and found is not None:
        have = sorted(v.bridge or "" for v in found[1].vifs)
        if have != sorted(bridges):
            problems.append(f"its vifs are on {', '.join(have) or 'no bridge'}, the exercise "
                            f"asks for {', '.join(sorted(bridges))}")
    if problems:
        return Check(False, f"domU {name} is not as asked", problems)
    state = {True: "running", False: "defined and stopped", None: "defined"}[running]
    with_mem = f" with {memory} MiB" if memory is not None else ""
    return Check(True, f"domU {name} is {state}{with_mem}" +
                 (f", its vifs on {', '.join(sorted(bridges))}" if bridges is not None else ""))


def check_reaches(host: Host, domu: str, network: str, *, reaches: bool = True) -> Check:
    """Does running domU ``domu`` reach external network ``network`` (or not, if asked)?"""
    from fxkit.topology import read_topology

    topo = read_topology(host)
    if domu not in topo.domus:
        return Check(False, f"{domu} is not running, so it reaches nothing",
                     [f"start it: xl create /etc/xen/{domu}.cfg"])
    now = topo.reaches(domu)
    if (network in now) == reaches:
        verb = "reaches" if reaches else "does not reach"
        return Check(True, f"{domu} {verb} {network} (it reaches {', '.join(now) or 'nothing'})")
    hint = ("give it a vif on a bridge whose uplink leads there, then restart it"
            if reaches else "remove its vif on the bridge leading there, then restart it")
    return Check(False, f"{domu} reaches {', '.join(now) or 'nothing'}", [hint])


def check_answer(answer: object, expected: object, *, question: str) -> Check:
    """Compare a trainee's answer with the lab's truth (sets compare without order)."""
    if answer is None or answer is ...:
        return Check(False, f"{question}: write your answer in the cell above")
    if answer == expected:
        return Check(True, f"{question}: {answer!r} is right")
    return Check(False, f"{question}: {answer!r} is not what the lab says",
                 ["look at the diagram again: follow each domU's vifs to the bridges, then "
                  "the bridges to their uplinks"])


def check_doctor(host: Host) -> Check:
    """Does ``fxkit.doctor`` find nothing wrong (no error-level finding)?"""
    from fxkit import doctor

    findings = doctor.run_doctor(host)
    bad = [f for f in findings if str(getattr(f, "severity", "")).lower() == "error"]
    if bad:
        return Check(False, f"doctor finds {len(bad)} error(s)", [str(f) for f in bad])
    return Check(True, f"doctor finds no error ({len(findings)} finding(s) in all)")


def check_run(record: object, *, changed: bool | None = None) -> Check:
    """Did a runbook run succeed (and change the host, if asked), with its record on disk?"""
    if record is None:
        return Check(False, "run the runbook first, and keep the record it returns")
    problems = []
    if getattr(record, "status", None) != "succeeded":
        problems.append(f"its status is {getattr(record, 'status', '?')!r}")
    if changed is not None and getattr(record, "changed", None) != changed:
        problems.append("it changed nothing: was apply=True?" if changed
                        else "it changed the host, the exercise asks for a dry run")
    if problems:
        return Check(False, f"the run of {getattr(record, 'runbook', '?')} is not as asked",
                     problems)
    return Check(True, f"{record.runbook} {record.status}"  # type: ignore[attr-defined]
                 + (", and changed the host" if getattr(record, "changed", False) else ""))


@contextmanager
def expect_refusal() -> Iterator[None]:
    """Run a command or plan that should be refused; print the refusal instead of raising."""
    try:
        yield
    except CommandFailed as e:  # the command's own output is already on screen
        print(f"Refused, as expected: `{e.result.command_line}` exited with status "
              f"{e.result.exit_status}.")
    except FxkitError as e:
        print(f"Refused, as expected ({type(e).__name__}):\n{e}")
    else:
        print("Not refused: this went through (was it supposed to?)")

