"""Plans: ordered, human-readable Steps that are shown first and applied on request.

A Plan is a value. Showing it runs nothing. ``apply`` holds the host lock
(``fxkit.hostlock``: every writer does), re-checks each step against fresh facts
right before running it, stops at the first failure (a step whose connection was
lost is re-read and reported as "outcome unknown", ``fxkit.reread``), and refuses
destructive steps unless ``confirm`` names what they destroy::

    >>> plan = Plan("Say hello", [Step("Print a greeting", ("echo", "hello"))])
    >>> print(plan)                                   # doctest: +NORMALIZE_WHITESPACE
    Plan: Say hello
      1  Print a greeting    echo hello
    >>> outcome = plan.apply(connect("local"))         # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import html
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fxkit import export
from fxkit.errors import (
    ApplyFailed,
    CommandTimedOut,
    ConfirmationRequired,
    FxkitError,
    PreconditionFailed,
)
from fxkit.hostlock import HostLock
from fxkit.polling import wait_until
from fxkit.reread import (
    REREAD_DONE,
    REREAD_NOT_DONE,
    UNKNOWN_OUTCOME,
    lock_stays,
    release,
    reread_step,
    why_unknown,
)
from fxkit.secrets import mask, mask_argv

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.result import Result

__all__ = ["REREAD_DONE", "REREAD_NOT_DONE", "Check", "FileWrite", "Outcome", "Plan", "Step"]

Check = Callable[["Host"], bool]


@dataclass(frozen=True)
class FileWrite:
    """A file a step writes atomically (shown as its path, never its content if secret)."""

    path: str
    content: str
    mode: int | None = None


@dataclass(frozen=True)
class Step:
    """One change: a sentence a person reads and the command (or file write) that does it.

    ``destroys`` names what the step destroys (e.g. ``"lvm/old-root"``); a step with
    it set is destructive and needs that exact name in ``confirm``. ``needed`` is
    called with the host right before the step runs: returning False skips the
    step, because fresh facts say it is already done. ``settled``, when set, is polled
    after the command succeeded until it returns True (at most ``settle_seconds``): for
    changes the host finishes on its own after the command returns, such as a Xen domain
    that is still listed as dying after ``xl shutdown -w``. ``if_stuck`` is added to the
    error when the command times out: what may hold it, and what to do.
    """

    description: str
    argv: tuple[str, ...] | None = None
    destroys: str | None = None
    needed: Check | None = field(default=None, compare=False)
    write: FileWrite | None = None
    sudo: bool = False
    timeout: float | None = None
    settled: Check | None = field(default=None, compare=False)
    settle_seconds: float = 120.0
    if_stuck: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.argv is None) == (self.write is None):
            raise ValueError("a Step has exactly one of argv= or write=")
        if self.argv is not None:
            object.__setattr__(self, "argv", tuple(self.argv))

    @property
    def destructive(self) -> bool:
        return self.destroys is not None

    @property
    def command(self) -> str:
        if self.write is not None:
            return f"write {self.write.path}"
        assert self.argv is not None
        return shlex.join(mask_argv(self.argv))

    def run(self, host: Host) -> Result | None:
        if self.write is not None:
            host.write_file(self.write.path, self.write.content, self.write.mode)
            return None
        assert self.argv is not None
        try:
            result = host.run(self.argv, sudo=self.sudo, timeout=self.timeout)
        except CommandTimedOut as e:
            if self.if_stuck is None:
                raise
            raise CommandTimedOut(e.result, f"{e}\n{self.if_stuck}") from None
        if self.settled is not None:
            self._settle(host)
        return result

    def _settle(self, host: Host) -> None:
        settled = self.settled
        assert settled is not None
        if not wait_until(lambda: settled(host), self.settle_seconds):
            raise PreconditionFailed(
                f"`{self.command}` succeeded, but the host had not finished the change "
                f"{self.settle_seconds:.0f} s later; look at the host, then apply again")


@dataclass(frozen=True)
class Outcome:
    """What ``Plan.apply`` did: steps run (with results), steps skipped, and why.

    ``after``: the facts the verification read once the steps had run, still under the
    lock (the ``facts`` of the plan ``replan`` made), or None when the plan has no
    ``replan`` or its planner did not give them; what to show as "after" without reading
    the host a third time.
    """

    title: str
    ran: tuple[tuple[Step, Result | None], ...]
    skipped: tuple[tuple[Step, str], ...]
    reason: str = ""
    after: Any = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.ran)

    def __str__(self) -> str:
        if not self.changed:
            return f"{self.title}: nothing changed ({self.reason or 'already done'})"
        return f"{self.title}: {len(self.ran)} step(s) applied, {len(self.skipped)} skipped"


@dataclass(frozen=True)
class Plan:
    """A titled list of steps plus warnings; empty means the host already matches.

    ``reason`` says why an empty plan has nothing to do. ``replan``, given when the plan is
    made, re-reads the host and plans the same request again: after applying, that plan
    must be empty, or the apply reports what still differs. ``confirm_name``, when set, is
    the one name that confirms everything the plan destroys (a domU's name for its config
    and its LVs); otherwise each destroyed thing is confirmed by its own name. ``facts``:
    what the planner read the host as, so the verifying plan's are ``Outcome.after``.
    """

    title: str
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()
    reason: str = ""
    replan: Callable[[Host], Plan] | None = field(default=None, repr=False, compare=False)
    confirm_name: str | None = None
    facts: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @property
    def empty(self) -> bool:
        return not self.steps

    def destroys(self) -> list[str]:
        return [s.destroys for s in self.steps if s.destroys is not None]

    def apply(self, host: Host, *, confirm: str | Iterable[str] | None = None,
              progress: bool | Callable[[int, int, Step], None] = False,
              holder: str = "", lock: HostLock | None = None) -> Outcome:
        """Run the steps in order, holding the host lock; see the module docstring.

        ``holder`` says who applies in the lock's owner file (a runbook, a CLI command;
        default the plan's title); ``lock``, a ``HostLock`` made by the caller, says more
        (a runbook's run id). The lock is waited for up to ``$FXKIT_LOCK_WAIT`` seconds,
        else ``HostLocked`` names its holder and nothing runs.
        """
        if self.empty:
            return Outcome(self.title, (), (), self.reason or "nothing to do")
        self._check_confirmed(confirm)
        ran: list[tuple[Step, Result | None]] = []
        skipped: list[tuple[Step, str]] = []
        lock = lock or HostLock(host, runbook=holder or self.title)
        lock.acquire()
        try:
            self._run_steps(host, ran, skipped, _progress(progress, len(self.steps), self.title))
            verified = self._verify(host)
        except BaseException as e:
            if (trouble := release(lock)) is not None and isinstance(e, ApplyFailed):
                e.args = (f"{e.args[0]}\n{lock_stays(host, trouble)}",)
            raise
        if (trouble := release(lock)) is not None:
            done = [s for s, _ in ran]
            raise ApplyFailed(f"{self.title}: {len(done)} step(s) applied and verified, but "
                              f"{lock_stays(host, trouble)}", None, done, trouble)
        return Outcome(self.title, tuple(ran), tuple(skipped),
                       after=verified.facts if verified is not None else None)

    def _run_steps(self, host: Host, ran: list[tuple[Step, Result | None]],
                   skipped: list[tuple[Step, str]],
                   report: Callable[[int, int, Step | None], None]) -> None:
        try:
            for n, step in enumerate(self.steps, 1):
                try:
                    if step.needed is not None and not step.needed(host):
                        skipped.append((step, "already done (re-checked before running)"))
                    else:
                        ran.append((step, step.run(host)))
                except FxkitError as e:
                    raise self._failed(host, n, step, [s for s, _ in ran], e) from e
                report(n, len(self.steps), step)
        finally:
            report(0, 0, None)

    def _failed(self, host: Host, n: int, step: Step, done: list[Step],
                e: FxkitError) -> ApplyFailed:
        already = ", ".join(s.description for s in done) or "nothing"
        if not isinstance(e, UNKNOWN_OUTCOME):
            return ApplyFailed(
                f"{self.title}: step {n} ({step.description}) failed: {e}\n"
                f"Already done: {already}. Nothing after step {n} ran; fix the cause and "
                "apply the plan again (steps already done are skipped).", step, done, e)
        reread = reread_step(host, step.needed)
        return ApplyFailed(
            f"{self.title}: during step {n} ({step.description}) {why_unknown(e)}: {e}\n"
            f"Whether it took effect is unknown; {reread}. Already done before it: "
            f"{already}. Nothing after step {n} ran. Apply this same plan again (each step "
            "re-checks the host first), not a new plan made from a relative size.",
            step, done, e, unknown=True, reread=reread)

    def confirmation(self) -> str | None:
        """The name to confirm this plan with, or None when it destroys nothing."""
        need = self.destroys()
        return (self.confirm_name or need[0]) if need else None

    def _check_confirmed(self, confirm: str | Iterable[str] | None) -> None:
        given = {confirm} if isinstance(confirm, str) else set(confirm or ())
        if self.confirm_name is not None and self.confirm_name in given:
            return
        missing = [d for d in self.destroys() if d not in given]
        if missing:
            names = ", ".join(self.destroys() if self.confirm_name else missing)
            name = self.confirm_name or missing[0]
            raise ConfirmationRequired(
                f"{self.title}: this plan destroys {names}. Nothing was run. To go ahead, "
                f"confirm by name: confirm={name!r} (CLI: --confirm {name})", missing)

    def _verify(self, host: Host) -> Plan | None:
        """The plan made again from fresh facts (None without ``replan``); it must be empty."""
        if self.replan is None:
            return None
        again = self.replan(host)
        if not again.empty:
            left = "; ".join(s.description for s in again.steps)
            raise PreconditionFailed(f"{self.title}: applied, but the host still differs: {left}")
        return again

    # -- exporting (fxkit.export) ---------------------------------------------------

    def to_ansible(self, hosts: str = "all") -> str:
        """This plan as an Ansible playbook (YAML); see ``fxkit.export``."""
        return export.to_ansible(self, hosts)

    def to_shell(self) -> str:
        """This plan as a POSIX sh script; see ``fxkit.export``."""
        return export.to_shell(self)

    # -- showing ------------------------------------------------------------------

    def rows(self) -> list[tuple[str, str, str]]:
        return [(str(n), ("DESTROYS " + s.destroys + ": " if s.destroys else "") + s.description,
                 s.command) for n, s in enumerate(self.steps, 1)]

    def __str__(self) -> str:
        lines = [f"Plan: {self.title}"]
        if self.empty:
            lines.append(f"  nothing to do: {self.reason or 'the host already matches'}")
        rows = self.rows()
        width = max((len(r[1]) for r in rows), default=0)
        lines += [f"  {n:>2}  {d.ljust(width)}    {c}" for n, d, c in rows]
        lines += [f"  warning: {w}" for w in self.warnings]
        return mask("\n".join(lines))

    def _repr_html_(self) -> str:
        e = html.escape
        head = f"<p><b>Plan: {e(self.title)}</b></p>"
        if self.empty:
            why = e(self.reason or "the host already matches")
            return mask(f"{head}<p>Nothing to do: {why}</p>")
        body = "".join(
            f"<tr><td>{n}</td><td>{e(d)}</td><td><code>{e(c)}</code></td></tr>"
            for n, d, c in self.rows())
        warn = "".join(f"<p>&#9888; {e(w)}</p>" for w in self.warnings)
        return mask(f"{head}<table><thead><tr><th>#</th><th>step</th><th>command</th></tr>"
                    f"</thead><tbody>{body}</tbody></table>{warn}")

    def _repr_pretty_(self, p: object, cycle: bool) -> None:
        p.text(str(self))  # type: ignore[attr-defined]


def _progress(progress: bool | Callable[[int, int, Step], None], total: int,
              title: str) -> Callable[[int, int, Step | None], None]:
    if callable(progress):
        return lambda n, t, s: progress(n, t, s) if s is not None else None  # type: ignore
    if not progress:
        return lambda n, t, s: None
    from tqdm.auto import tqdm
    bar = tqdm(total=total, desc=title, unit="step", leave=True)

    def report(n: int, t: int, step: Step | None) -> None:
        if step is None:
            bar.close()
        else:
            bar.set_postfix_str(step.description[:40])
            bar.update(1)
    return report


def keeps_facts(planner: Callable[..., Plan]) -> Callable[..., Plan]:
    """Decorate a planner whose first argument is the facts it reads: each Plan it returns
    carries them (``Plan.facts``), so ``Plan.apply`` hands the verification's fresh read
    back as ``Outcome.after``."""
    @functools.wraps(planner)
    def plan(facts: Any, *args: Any, **kwargs: Any) -> Plan:
        made = planner(facts, *args, **kwargs)
        return made if made.facts is not None else dataclasses.replace(made, facts=facts)
    return plan
