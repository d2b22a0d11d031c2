"""The checks of the seminar's exercises: is the lab now as the exercise asks, and if not, why.

Each returns a ``Check``: true or false, one sentence, and what to look at, in the
seminar's language (``fxkit.seminar.i18n``). Its mark is a word, PASS or NOT YET (RÉUSSI,
PAS ENCORE), so it reads the same without an emoji font::

    >>> check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")          # doctest: +SKIP
    [PASS] lvm/scratch is there: 2.00 GiB, ext4 filesystem
"""

from __future__ import annotations

import functools
import html
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fxkit.host import Host
from fxkit.seminar.i18n import current_language, say
from fxkit.seminar.progress import record_check


@dataclass
class Check:
    """The answer of an exercise check: passed or not, why, and what to look at."""

    ok: bool
    message: str
    details: list[str] = field(default_factory=list)
    lang: str = field(default_factory=current_language)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def mark(self) -> str:
        return f"[{say('pass' if self.ok else 'not_yet', self.lang)}]"

    def __str__(self) -> str:
        return "\n".join([f"{self.mark} {self.message}", *(f"   - {d}" for d in self.details)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour, bg = ("#1e7e34", "#eafaf1") if self.ok else ("#b02a1a", "#fdecea")
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        return (f"<div class='fxkit-check fxkit-check-{'pass' if self.ok else 'fail'}' "
                f"style='border-left:4px solid {colour};background:{bg};padding:4px 8px'>"
                f"<b style='color:{colour}'>{html.escape(self.mark)}</b> "
                f"{html.escape(self.message)}{f'<ul>{items}</ul>' if items else ''}</div>")


def recorded(exercise: Callable[[dict[str, Any]], str]) -> Callable[[Callable[..., Check]],
                                                                     Callable[..., Check]]:
    """Record every result of the decorated check in the seminar's progress log, under the
    exercise name ``exercise(arguments)`` (e.g. "lvm/data" for check_lv(fx, "lvm", "data"))."""
    def wrap(check: Callable[..., Check]) -> Callable[..., Check]:
        signature = inspect.signature(check)

        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> Check:
            result = check(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            record_check(result.ok, exercise(bound.arguments), result.message, result.details)
            return result
        return run
    return wrap


def _size(text: str | int) -> int:
    from fxkit.lvm.sizes import parse_size
    return text if isinstance(text, int) else parse_size(text, allow_sign=False).value


def _gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB" if current_language() == "en" else \
        f"{n / 1024**3:.2f} Gio".replace(".", ",")


@recorded(lambda a: f"{a['vg']}/{a['lv']}")
def check_lv(host: Host, vg: str, lv: str, *, size: str | int | None = None,
             fs: str | None = None) -> Check:
    """Is ``vg/lv`` there, of ``size`` (LVM syntax), with a sound filesystem ``fs`` filling it?"""
    from fxkit.lvm.names import LvRef
    from fxkit.lvm.state import read_lvm

    ref = f"{vg}/{lv}"
    found = read_lvm(host).lv(LvRef(vg, lv))
    if found is None:
        return Check(False, say("lv_missing", ref=ref), [say("lv_create_it", lv=lv, vg=vg)])
    have = found.size_bytes
    problems: list[str] = []
    if size is not None and have != _size(size):
        problems.append(say("lv_size", have=_gib(have), want=_gib(_size(size))))
    what = say("lv_there", ref=ref, have=_gib(have))
    if fs is not None:
        seen = _filesystem(host, f"/dev/{vg}/{lv}")
        if seen.kind != fs:
            problems.append(say("fs_wrong", seen=seen.kind or say("fs_none"), fs=fs))
        elif seen.size is not None and seen.size > have:
            problems.append(say("fs_larger", fs=fs, fs_size=_gib(seen.size), have=_gib(have),
                                why=seen.why or ""))
        elif seen.errors is not None:
            problems.append(say("fs_errors", fs=fs, status=seen.errors, why=seen.why or ""))
        elif seen.size is not None and seen.size < have:
            problems.append(say("fs_short", fs=fs, fs_size=_gib(seen.size), have=_gib(have)))
        else:
            what += say("lv_fs_ok", fs=fs) + (say("fs_in_use") if seen.in_use else "")
    if problems:
        return Check(False, say("lv_not_as_asked", ref=ref), problems)
    return Check(True, what)


@dataclass
class _Fs:
    kind: str | None = None
    size: int | None = None          # bytes, from the superblock
    errors: int | None = None        # e2fsck -n's exit status when it found problems
    why: str | None = None           # e2fsck's own words for them
    in_use: bool = False


def _filesystem(host: Host, device: str) -> _Fs:
    """What is on ``device``: ``blkid``; for ext2/3/4 its size from the superblock
    (``dumpe2fs -h``) and its state (``e2fsck -n``, which opens it read-only). e2fsck
    aborts on a filesystem larger than its device without printing a block count; the
    superblock still says how large the filesystem thinks it is."""
    r = host.run(["blkid", device], check=False, read_only=True)
    kind = re.search(r' TYPE="([^"]+)"', r.stdout)
    if r.exit_status != 0 or kind is None:
        return _Fs()
    found = _Fs(kind.group(1))
    if not found.kind or not found.kind.startswith("ext"):
        return found
    d = host.run(["dumpe2fs", "-h", device], check=False, read_only=True)
    count = re.search(r"^Block count:\s+(\d+)", d.stdout, re.M)
    block = re.search(r"^Block size:\s+(\d+)", d.stdout, re.M)
    if count:
        found.size = int(count.group(1)) * int(block.group(1) if block else 4096)
    e = host.run(["e2fsck", "-n", device], check=False, read_only=True)
    text = e.stdout + e.stderr
    if e.exit_status != 0:
        if re.search(r"Device or resource busy|in use|mounted", text):
            found.in_use = True       # a running domU holds it: e2fsck may not open it
        else:
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()
                     and not ln.startswith(("e2fsck ", "Abort?"))]
            found.errors = e.exit_status
            found.why = next((ln for ln in lines if "corrupt" in ln), lines[-1] if lines
                             else f"exit status {e.exit_status}")
    return found


@recorded(lambda a: f"domU {a['name']}")
def check_domu(host: Host, name: str, *, running: bool | None = True,
               memory: int | None = None, bridges: Iterable[str] | None = None) -> Check:
    """Is domU ``name`` defined (config in /etc/xen), running (or stopped, or either: None),
    with this memory and these bridges?"""
    from fxkit.xen.facts import read_xen

    facts = read_xen(host)
    problems: list[str] = []
    found = facts.config_for(name)
    if found is None:
        problems.append(say("domu_no_config", name=name))
    dom = facts.domain(name)
    if running and (dom is None or not dom.alive):
        problems.append(say("domu_not_running", name=name))
    elif running is False and dom is not None and dom.alive:
        problems.append(say("domu_still_running", name=name))
    if memory is not None and found is not None and found[1].memory != memory:
        problems.append(say("domu_memory_cfg", have=found[1].memory, want=memory))
    elif memory is not None and running and dom is not None and dom.memory != memory:
        problems.append(say("domu_memory_run", have=dom.memory))
    if bridges is not None and found is not None:
        have = sorted(v.bridge or "" for v in found[1].vifs)
        if have != sorted(bridges):
            problems.append(say("domu_bridges", have=", ".join(have) or say("domu_no_bridge"),
                                want=", ".join(sorted(bridges))))
    if problems:
        return Check(False, say("domu_not_as_asked", name=name), problems)
    state = say({True: "state_running", False: "state_stopped", None: "state_defined"}[running])
    return Check(True, say("domu_ok", name=name, state=state,
                           mem=say("with_mem", memory=memory) if memory is not None else "",
                           vifs=say("vifs_on", bridges=", ".join(sorted(bridges)))
                           if bridges is not None else ""))


@recorded(lambda a: f"{a['domu']} {'->' if a['reaches'] else '-/->'} {a['network']}")
def check_reaches(host: Host, domu: str, network: str, *, reaches: bool = True) -> Check:
    """Does running domU ``domu`` reach external network ``network`` (or not, if asked)?"""
    from fxkit.topology import read_topology

    topo = read_topology(host)
    if domu not in topo.domus:
        return Check(False, say("reach_not_running", domu=domu),
                     [say("reach_start", domu=domu)])
    now = ", ".join(topo.reaches(domu)) or say("nothing")
    if (network in topo.reaches(domu)) == reaches:
        return Check(True, say("reach_yes" if reaches else "reach_no", domu=domu,
                               network=network, now=now))
    return Check(False, say("reach_now", domu=domu, now=now),
                 [say("reach_add" if reaches else "reach_remove")])


@recorded(lambda a: "doctor")
def check_doctor(host: Host) -> Check:
    """Does ``fxkit.doctor`` find nothing wrong (no error-level finding)?"""
    from fxkit import doctor

    findings = doctor.run_doctor(host)
    bad = [f for f in findings if str(getattr(f, "severity", "")).lower() == "error"]
    if bad:
        return Check(False, say("doctor_bad", n=len(bad)), [str(f) for f in bad])
    return Check(True, say("doctor_ok", n=len(findings)))


@recorded(lambda a: "runbook run")
def check_run(record: object, *, changed: bool | None = None) -> Check:
    """Did a runbook run succeed (and change the host, if asked), with its record on disk?"""
    if record is None:
        return Check(False, say("run_first"))
    problems = []
    if getattr(record, "status", None) != "succeeded":
        problems.append(say("run_status", status=getattr(record, "status", "?")))
    if changed is not None and getattr(record, "changed", None) != changed:
        problems.append(say("run_nothing" if changed else "run_changed"))
    runbook = getattr(record, "runbook", "?")
    if problems:
        return Check(False, say("run_not_as_asked", runbook=runbook), problems)
    return Check(True, say("run_ok", runbook=runbook, status=getattr(record, "status", "?"),
                           changed=say("run_did_change") if getattr(record, "changed", False)
                           else ""))
