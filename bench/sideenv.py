"""The baselines' own venv, bench/.venv-ansible (ansible + fabric), created on first use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import BENCH_DIR

VENV = BENCH_DIR / ".venv-ansible"
PACKAGES = ["ansible", "fabric"]
_why = ""


def _bin(name: str) -> Path:
    return VENV / "bin" / name


def ready() -> bool:
    if not _bin("python").exists():
        return False
    done = subprocess.run([str(_bin("python")), "-c", "import fabric, ansible"],
                          capture_output=True, timeout=60)
    return done.returncode == 0 and _bin("ansible-playbook").exists()


def ensure() -> Path:
    """Create the venv and pip install ansible and fabric (minutes the first time)."""
    if ready():
        return _bin("python")
    base = getattr(sys, "_base_executable", None) or sys.executable
    if not _bin("python").exists():
        print(f"bench: creating {VENV} for the Ansible and Fabric baselines...", flush=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    print(f"bench: pip install {' '.join(PACKAGES)} into {VENV} (a few minutes the first "
          "time; ansible is large)...", flush=True)
    subprocess.run([str(_bin("python")), "-m", "pip", "install", "--disable-pip-version-check",
                    "--progress-bar", "off", *PACKAGES], check=True)
    return _bin("python")


def python(install: bool = True) -> Path | None:
    """The side venv's python, creating it if ``install``; None (see ``why_missing``) if not."""
    global _why
    try:
        if install:
            return ensure()
        if ready():
            return _bin("python")
        _why = f"{VENV} is missing and quick mode does not install it (run `make bench`)"
    except (OSError, subprocess.CalledProcessError) as e:
        _why = f"could not create {VENV}: {e}"
    return None


def why_missing() -> str:
    return _why or f"{VENV} unavailable"


def ansible_playbook() -> Path:
    return _bin("ansible-playbook")


def versions(py: Path) -> dict[str, str]:
    code = ("import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in "
            "('ansible', 'ansible-core', 'fabric', 'paramiko')}))")
    done = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=60)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {}


def fabric_times(py: Path, sshd: Any, argv: list[str], n: int, reps: int) -> list[float]:
    """Times (s) of ``reps`` loops of ``n`` Fabric runs of ``argv``, measured in the side venv."""
    spec = {"host": "127.0.0.1", "port": sshd.port, "user": sshd.user,
            "key": str(sshd.user_key), "known_hosts": str(sshd.known_hosts),
            "argv": argv, "n": n, "reps": reps}
    done = subprocess.run([str(py), str(BENCH_DIR / "fabric_probe.py"), json.dumps(spec)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"fabric probe failed: {done.stderr[-2000:]}")
    return list(json.loads(done.stdout)["times"])
