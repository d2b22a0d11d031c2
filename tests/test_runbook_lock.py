"""The per-host apply lock, on the lab (its mkdir/rm/cat are emulated like the real ones)."""

from __future__ import annotations

import os
import socket

import pytest

from fxkit.errors import HostLocked
from fxkit.hostlock import LOCK_DIR, OWNER, HostLock, break_lock, current_owner


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    from fxkit.lab.transport import LabHost
    return LabHost("lab")


def second_client():
    from fxkit.lab.transport import LabHost
    return LabHost("lab")  # another connection to the same persisted lab


def test_lock_excludes_a_second_client_and_names_the_holder(lab):
    with HostLock(lab, runbook="lv-extend") as owner:
        assert owner.pid == os.getpid() and owner.machine == socket.gethostname()
        assert current_owner(lab) == owner
        with pytest.raises(HostLocked) as e:
            HostLock(second_client(), runbook="lv-remove").acquire()
        msg = str(e.value)
        assert f"{owner.operator}@{owner.machine} (pid {owner.pid}, runbook lv-extend)" in msg
        assert f"since {owner.since}" in msg and "fxkit runs unlock lab" in msg
    assert lab.run(["test", "-d", LOCK_DIR], check=False).exit_status == 1
    with HostLock(second_client(), runbook="lv-remove"):  # free again
        pass


def test_lock_is_released_when_the_body_fails(lab):
    with pytest.raises(RuntimeError), HostLock(lab):
        raise RuntimeError("step failed")
    assert current_owner(lab) is None


def test_stale_lock_is_broken_explicitly(lab):
    HostLock(lab, runbook="dead-run").acquire()  # never released: the run "died"
    with pytest.raises(HostLocked, match="dead-run"):
        HostLock(second_client()).acquire()
    assert break_lock(second_client()).runbook == "dead-run"
    with HostLock(second_client()):
        pass


def test_release_leaves_a_lock_someone_else_took(lab):
    mine = HostLock(lab)
    mine.acquire()
    break_lock(lab)
    theirs = HostLock(second_client(), runbook="theirs")
    theirs.acquire()
    mine.release()
    assert current_owner(lab).runbook == "theirs"
    assert "theirs" in lab.read_file(OWNER)
    theirs.release()


def test_cli_unlock_removes_a_stale_lock_after_saying_whose(lab):
    from click.testing import CliRunner

    from fxkit.cli.runbook import runs
    HostLock(lab, runbook="crashed").acquire()
    asked = CliRunner().invoke(runs, ["unlock", "lab"], input="n\n")
    assert asked.exit_code != 0 and "runbook crashed" in asked.output
    assert current_owner(lab) is not None  # nothing removed without a yes
    done = CliRunner().invoke(runs, ["unlock", "lab", "--yes"])
    assert done.exit_code == 0 and "lock removed" in done.output
    assert current_owner(lab) is None
    assert "not locked" in CliRunner().invoke(runs, ["unlock", "lab"]).output
