"""A fleet of simulated dom0s for ``fxkit lab start --hosts N``: fx01..fxNN behind one server.

Each host has its own state (``<labdir>/fleet/fx07/state.json``, made from the ``fx``
scenario with its own hostname, an LV of its own size and, on every third host, one
domU fewer), its own host key and its own port. ``fleet_inventory`` writes
``<labdir>/inventory.ini`` beside the lab's ``ssh_config``, so both ``fxkit -i`` and
Ansible reach the hosts by name. A file ``<labdir>/fleet/NAME/down`` makes the server
drop that host's connections at once (an unreachable host, for tests).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from fxkit.errors import LabError
from fxkit.lab.store import LabStore, build_state, dump_state, lab_dir

FLEET_DIR = "fleet"
MAX_HOSTS = 500
_NAME = re.compile(r"fx\d{2,3}\Z")


def host_names(n: int) -> list[str]:
    """fx01..fxNN (three digits past 99)."""
    if not 1 <= n <= MAX_HOSTS:
        raise LabError(f"--hosts {n}: a lab fleet has 1 to {MAX_HOSTS} hosts")
    width = 2 if n < 100 else 3
    return [f"fx{i:0{width}d}" for i in range(1, n + 1)]


def is_fleet_host(name: str) -> bool:
    return bool(_NAME.match(name))


class FleetStore(LabStore):
    """The persisted state of one fleet host (scenario ``fx``, stored under fleet/NAME)."""

    def __init__(self, name: str, root: str | Path | None = None) -> None:
        if not is_fleet_host(name):
            raise LabError(f"{name!r} is not a lab fleet host name (fx01, fx02, ...)")
        super().__init__("fx", root)
        self.host = name
        self.path = self.root / FLEET_DIR / name
        self.state_file = self.path / "state.json"
        self.lock_file = self.path / "state.lock"
        self.version_file = self.path / "state.version"

    def __repr__(self) -> str:
        return f"FleetStore({self.host!r}, root={str(self.root)!r})"

    @property
    def down(self) -> bool:
        return (self.path / "down").exists()

    def set_down(self, down: bool = True) -> None:
        """Make the server drop (or accept again) this host's connections."""
        self.path.mkdir(parents=True, exist_ok=True)
        if down:
            (self.path / "down").write_text("the lab server drops connections to this host\n")
        else:
            (self.path / "down").unlink(missing_ok=True)

    def reset(self):  # type: ignore[no-untyped-def]
        """This host's own initial state (not the bare scenario's); faults cleared."""
        (self.path / "down").unlink(missing_ok=True)
        _seed(self)
        return self.load()


def _seed(store: FleetStore) -> None:
    """Write the host's initial state, then vary it with the lab's own commands."""
    state = build_state("fx")
    state.hostname = store.host
    with store.locked():
        store._write(dump_state(state))
    from fxkit.lab.transport import run_request
    n = int(store.host[2:])
    for argv in _variations(n):
        reply = run_request(store, argv=argv)
        if reply.status != 0:
            raise LabError(f"lab fleet: seeding {store.host} with {shlex.join(argv)} failed: "
                           f"{reply.stderr.strip()}")


def _variations(n: int) -> list[list[str]]:
    out = [["lvcreate", "--yes", "-n", "data", "-L", f"{(n % 4 + 1) * 512}M", "lvm"]]
    if n % 3 == 0:
        out.append(["xl", "destroy", "titanic"])
    return out


def ensure_fleet(n: int, root: Path | None = None) -> dict[str, FleetStore]:
    """Stores of hosts fx01..fxNN, seeded on first use (their changes are kept)."""
    root = Path(root) if root else lab_dir()
    stores = {}
    for name in host_names(n):
        store = FleetStore(name, root)
        if not store.exists():
            _seed(store)
        stores[name] = store
    return stores


def reset_fleet(root: Path | None = None) -> list[str]:
    """Put every fleet host back to its initial state."""
    root = Path(root) if root else lab_dir()
    names = sorted(p.name for p in (root / FLEET_DIR).glob("fx*") if is_fleet_host(p.name))
    for name in names:
        store = FleetStore(name, root)
        (store.path / "down").unlink(missing_ok=True)
        _seed(store)
    return names


def fleet_inventory(root: Path, names: list[str]) -> Path:
    """``<root>/inventory.ini``: the fleet in group ``dom0s``, reached through the lab's
    ssh_config (Ansible: ``ansible_ssh_common_args='-F ...'``)."""
    config = root / "ssh_config"
    text = ("# fxkit lab fleet, written by `fxkit lab start --hosts N`.\n"
            f"# fxkit inventory -i {shlex.quote(str(root / 'inventory.ini'))} --limit dom0s\n"
            "[dom0s]\n" + "".join(f"{n}\n" for n in names) + "\n[dom0s:vars]\n"
            f"ansible_ssh_common_args='-F {config}'\n")
    path = root / "inventory.ini"
    tmp = path.with_name(".inventory.ini.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path
