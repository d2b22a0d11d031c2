"""Where the lab keeps its state: one locked JSON file per served scenario.

::

    >>> store = LabStore("fx")                     # doctest: +SKIP
    >>> with store.transaction() as state:         # exclusive lock, saved if changed
    ...     state.hostname
    'fx'

Layout of the lab directory (``$FXKIT_LAB_DIR``, else
``$XDG_STATE_HOME/fxkit/lab``, else ``~/.local/state/fxkit/lab``)::

    <labdir>/fx/state.json      the persisted LabState of scenario "fx"
    <labdir>/fx/state.lock      the fcntl lock every client takes around a command
    <labdir>/server.*, keys/, ssh_config, known_hosts   (fxkit.lab.ssh.daemon)

Every reader and writer, thread or process, takes an exclusive ``flock`` on
``state.lock`` for the whole load-run-save cycle; saves go to a temp file then
``os.replace``, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fxkit.errors import LabError
from fxkit.lab.state import SECTIONS, LabFile, LabState

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
DEFAULT_SCENARIO = "fx"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# state file -> (its text, the LabState parsed from it), per process
_CACHE: dict[Path, tuple[str, LabState]] = {}


def lab_dir() -> Path:
    """The lab directory: ``$FXKIT_LAB_DIR``, else the user's state directory."""
    if env := os.environ.get("FXKIT_LAB_DIR"):
        return Path(env).expanduser()
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home).expanduser() / "fxkit" / "lab"


def scenarios() -> list[str]:
    """The scenarios shipped with fxkit (directories holding a host.json)."""
    return sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/host.json"))


def check_scenario(name: str) -> str:
    if not _NAME.match(name or "") or not (SCENARIOS_DIR / name / "host.json").is_file():
        raise LabError(f"unknown lab scenario {name!r}: choose one of "
                       f"{', '.join(scenarios())} (scenarios live in {SCENARIOS_DIR})")
    return name


def build_state(scenario: str = DEFAULT_SCENARIO) -> LabState:
    """A fresh LabState from ``scenarios/<scenario>/``: host.json, section files, files/."""
    base = SCENARIOS_DIR / check_scenario(scenario)
    host = _load_json(base / "host.json")
    modes = {p: int(m, 8) if isinstance(m, str) else int(m)
             for p, m in host.pop("modes", {}).items()}
    data: dict[str, Any] = {"scenario": scenario, **host}
    data["dirs"] = sorted(set(host.get("dirs", [])))
    state = LabState.from_dict(data)
    state.scenario = scenario
    tree = base / "files"
    for path in sorted(tree.rglob("*")) if tree.is_dir() else []:
        lab_path = "/" + path.relative_to(tree).as_posix()
        if path.is_dir():
            state.dirs.add(lab_path)
        elif path.is_file() and path.name != ".keep":
            state.files[lab_path] = LabFile(path.read_text(encoding="utf-8"),
                                            modes.get(lab_path, 0o644))
    for name, cls in SECTIONS.items():
        section_file = base / f"{name}.json"
        if section_file.is_file():
            state.sections[name] = cls.from_dict(_load_json(section_file), state)
    return state


def dump_state(state: LabState) -> str:
    """The canonical JSON text of a state (sorted keys: equal states, equal bytes)."""
    return _dumps(state.to_dict())


def _dumps(data: dict[str, Any]) -> str:
    # No indent: json's C encoder only runs without one, and every command saves.
    return json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n"


class LabStore:
    """The persisted state of one scenario served by the lab (one host)."""

    def __init__(self, scenario: str = DEFAULT_SCENARIO, root: str | Path | None = None):
        self.scenario = check_scenario(scenario)
        self.root = Path(root) if root is not None else lab_dir()
        self.path = self.root / scenario
        self.state_file = self.path / "state.json"
        self.lock_file = self.path / "state.lock"

    def __repr__(self) -> str:
        return f"LabStore({self.scenario!r}, root={str(self.root)!r})"

    def exists(self) -> bool:
        return self.state_file.is_file()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the scenario's exclusive lock (threads and processes alike)."""
        self.path.mkdir(parents=True, exist_ok=True)
        # One open file per holder: flock locks belong to the open file, so two
        # threads of one process exclude each other too.
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def transaction(self) -> Iterator[LabState]:
        """Lock, load (creating from the scenario if absent), yield, save if changed.

        The parsed state is kept between transactions of this process while
        state.json still holds the very text it was parsed from (compared under the
        lock: reading is cheap, parsing a big lab is not); a failed transaction drops it.
        """
        with self.locked():
            text = self._read()
            cached = _CACHE.pop(self.state_file, None)  # back only if the body succeeds
            if text and cached is not None and cached[0] == text:
                state = cached[1]
            else:
                state = (LabState.from_dict(self._parse(text)) if text
                         else build_state(self.scenario))
            yield state
            new = _dumps(state.to_dict())
            if new != text:
                self._write(new)
            _CACHE[self.state_file] = (new, state)

    def load(self) -> LabState:
        """A snapshot of the state (changes to it are not saved)."""
        with self.transaction() as state:
            return LabState.from_dict(state.to_dict())

    def reset(self) -> LabState:
        """Replace the state by a fresh copy of the scenario (faults cleared)."""
        with self.locked():
            state = build_state(self.scenario)
            self._write(dump_state(state))
            return state

    def _parse(self, text: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return data
        except ValueError as e:
            raise LabError(f"the lab state {self.state_file} is corrupt ({e}); start over with "
                           f"`fxkit lab reset --scenario {self.scenario}`") from None

    def _read(self) -> str:
        try:
            return self.state_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def _write(self, text: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.state_file)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def reset(scenario: str = DEFAULT_SCENARIO, root: str | Path | None = None) -> LabState:
    """Reset one scenario's persisted state to its initial data."""
    return LabStore(scenario, root).reset()


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LabError(f"lab scenario file {path} is unreadable: {e}; fix or restore it "
                       "from git") from None
