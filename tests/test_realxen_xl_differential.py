"""`xl` on the simulated fx against real Xen 4.17: the same lifecycle, the same answers.

One guest config, written to both labs, goes through the same steps (create, a refused
second create, domid, shutdown, a refused shutdown, create again, destroy, refused destroy
and domid), ``FXKIT_XL_DIFF_ROUNDS`` times (default 1). After each step both labs are
compared on what fxkit reads (``xl list`` and ``xl list -l`` through fxkit's parsers) and on
how each command answered: exit status, stdout and stderr, normalised only for what differs
by history (domain ids, which count from each lab's own boot). The first difference fails
the test with the steps so far. It runs as a background job on a second real lab restored
from the snapshot (tests/support/labs_real.py), so it needs no cleanup before or after.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest

from fxkit.errors import FxkitError
from fxkit.host import Host
from fxkit.lab.real.guests import console_tail, wait_booted
from fxkit.lab.store import build_state
from fxkit.polling import wait_until
from fxkit.testing.labstate import StateHost
from fxkit.xen.domains import parse_list, parse_list_long
from fxkit.xen.toolstack import Toolstack

# The lifecycle below, this many times in a row on the same two labs (`make test-deep`: 10).
ROUNDS = int(os.environ.get("FXKIT_XL_DIFF_ROUNDS", "1"))
LIMIT = 5400 + 600 * ROUNDS         # seconds; the job waits for the LVM differential's turn
pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(LIMIT)]

NAME = "xldiff"
CFG = f"/etc/xen/{NAME}.cfg"
LV = f"{NAME}-disk"
CONFIG = f"""\
name = "{NAME}"
kernel = "/boot/guest/vmlinuz"
ramdisk = "/boot/guest/initrd.gz"
extra = "console=hvc0 rdinit=/init quiet"
memory = 128
vcpus = 1
vif = [ 'mac=00:16:3e:0f:0f:01, bridge=xenbr0' ]
disk = [ 'phy:/dev/lvm/{LV},xvda1,w' ]
on_poweroff = "destroy"
"""
STEPS = [
    ["xl", "create", CFG],
    ["xl", "create", CFG],                       # refused: the name is taken
    ["xl", "domid", NAME],
    ["xl", "shutdown", "-w", NAME],
    ["xl", "shutdown", NAME],                    # refused: no such domain now
    ["xl", "create", CFG],
    ["xl", "destroy", NAME],
    ["xl", "destroy", NAME],                     # refused
    ["xl", "domid", NAME],                       # refused
]


def prepare(host: Host, *, sim: bool) -> None:
    if sim:   # the real lab's tiny guest kernel, as files the simulated dom0 can open
        for path in ("/boot/guest/vmlinuz", "/boot/guest/initrd.gz"):
            host.write_file(path, "guest image\n")
    host.run(["lvcreate", "-y", "-L", "32M", "-n", LV, "lvm"])
    host.write_file(CFG, CONFIG)


# A real guest's shutdown waits for its boot: a request sent while the guest kernel frees
# its init memory is acknowledged and dropped (fxkit/lab/real/guests.py), and `xl shutdown
# -w` then waits for ever (seen in CI, reproduced with a shutdown 4.4 s after create).
BOOT_SECONDS = 300


def wait_gone(host: Host, timeout: float = 120) -> None:
    """`xl shutdown -w` and `xl destroy` can return while the domain is still listed as
    dying on the real Xen (README.md of fxkit/lab/real): wait until it has left."""
    wait_until(lambda: Toolstack(host).domain(NAME) is None, timeout)


class Ids:
    """Domain ids count from each lab's own history: compare them as 'the n-th new id'."""

    def __init__(self) -> None:
        self.seen: dict[int, str] = {0: "0"}

    def __call__(self, domid: int) -> str:
        return self.seen.setdefault(domid, f"new{len(self.seen)}")

    def text(self, s: str) -> str:
        """Domain ids in messages as tokens; ids not seen yet (such as the one a refused
        create uses up) get the next token, in the order they appear."""
        return re.sub(r"\b(Domain |domain |vif)(\d+)\b",
                      lambda m: m.group(1) + self(int(m.group(2))), s)


def observe(host: Host, ids: Ids, argv: list[str], *, real: bool = False) -> dict:
    r = host.run(argv, check=False, timeout=120)
    if argv[1] in ("shutdown", "destroy") and r.ok:
        wait_gone(host)
    if real and argv[1] == "create" and r.ok and not wait_booted(host, NAME, BOOT_SECONDS):
        raise AssertionError(f"{NAME} did not boot within {BOOT_SECONDS} s of `xl create`; "
                             f"its console:\n{console_tail(host, NAME)}")
    stdout = ids.text(r.stdout)
    if argv[1] == "domid" and r.ok:          # a bare id: the same token on both labs
        stdout = ids(int(r.stdout)) + "\n"
    # Only the test's own domain: the labs run different other guests.
    domus = [d for d in parse_list(host.run(["xl", "list"], read_only=True).stdout)
             if d.name == NAME]
    details = [d for d in parse_list_long(host.run(["xl", "list", "-l"], read_only=True).stdout)
               if d.name == NAME]
    return {
        "exit": r.exit_status, "stdout": stdout, "stderr": ids.text(r.stderr),
        # running or blocked depends on the instant; paused/shutdown/dying do not
        "xl list": [(d.name, ids(d.id), d.memory, d.vcpus, d.alive, d.paused) for d in domus],
        # every field but the uuid, which each toolstack makes up
        "xl list -l": [replace(d, domid=0, uuid=None) for d in details],
        "xl list -l ids": [ids(d.domid) for d in details],
    }


def xl_differential(lab, say) -> dict:
    """The job, on the background lab's freshly restored dom0: ``ROUNDS`` times the steps."""
    from fxkit.lab.real import real_host
    real = real_host(lab=lab.root)
    sim = StateHost(build_state("fx"))
    try:
        prepare(real, sim=False)
        prepare(sim, sim=True)
        real_ids, sim_ids = Ids(), Ids()
        done = []
        for n in range(ROUNDS):
            for argv in STEPS:
                try:
                    want = observe(real, real_ids, argv, real=True)
                except FxkitError as e:      # a hang: what the guest's console said
                    raise AssertionError(f"{e}\n{NAME}'s console:\n"
                                         f"{console_tail(real, NAME)}") from e
                got = observe(sim, sim_ids, argv)
                done.append(" ".join(argv))
                diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
                if diff:
                    return {"steps": len(done), "diff": (
                        "the simulated lab answers differently from real Xen after:\n  "
                        + "\n  ".join(done) + "\n" + "\n".join(
                            f"{k}:\n  real: {w!r}\n  sim:  {g!r}" for k, (w, g) in diff.items()))}
            say(f"  round {n + 1}/{ROUNDS}: {len(STEPS)} steps agree")
        return {"steps": len(done), "diff": None}
    finally:
        real.close()      # no cleanup: the next job starts from a freshly restored fx


@pytest.mark.real_job.with_args(xl_differential, hotplug=True)
def test_xl_lifecycle_answers_the_same_on_both_labs(real_jobs) -> None:
    result = real_jobs.outcome(xl_differential, timeout=LIMIT).get()
    assert result["diff"] is None, result["diff"]
    assert result["steps"] == ROUNDS * len(STEPS)
