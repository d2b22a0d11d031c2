"""A real lab restored from the snapshot: SSH and `xl list` answer, titanic runs, the clock is
now, and two restores do not share their random numbers.

A background job (tests/support/labs_real.py): the background lab has just been restored
when it starts; it restores once more, so the two restores can be compared.
"""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(1800)]


def observe(lab) -> dict:
    """What an operator sees right after a restore, with the plain OpenSSH client."""
    from fxkit.lab.real import status_real
    from fxkit.xen.domains import parse_list
    st = status_real(lab=lab.root)
    listing = parse_list(lab.ssh("xl", "list"))
    host_now = time.time()
    dom0_now = float(lab.ssh("date", "+%s.%N"))
    return {"status": st, "domains": {d.name: d for d in listing},
            "skew": dom0_now - host_now,
            "uuid": lab.ssh("cat", "/proc/sys/kernel/random/uuid").strip()}


def two_restores(lab, say) -> list[dict]:
    from fxkit.lab.real import reset_real
    first = observe(lab)
    reset_real(lab=lab.root, how="pytest (second restore)", progress=say)
    return [first, observe(lab)]


@pytest.mark.real_job.with_args(two_restores)
def test_a_restore_answers_with_titanic_running_clock_set_and_fresh_randomness(
        real_jobs) -> None:
    seen = real_jobs.outcome(two_restores).get()
    for s in seen:
        st = s["status"]
        assert st["running"] and st["restored_from"], st
        assert st["boot_seconds"] < 60, st           # SSH and `xl list` answered that soon
        titanic = s["domains"]["titanic"]
        assert titanic.alive and not titanic.paused, titanic
        assert "Domain-0" in s["domains"]
        assert abs(s["skew"]) < 10, s["skew"]         # dom0's clock is now, not the save time
    # Without the reseed both restores would draw the same numbers from the same state.
    assert seen[0]["uuid"] != seen[1]["uuid"]
