"""Where the lab keeps its state: one locked JSON file per served scenario.

::

    >>> store = LabStore("fx")                     # doctest: +SKIP
    >>> with store.transaction() as state:         # exclusive lock, saved if changed
    ...     state.hostname
    'fx'

Layout of the lab directory (``lab_dir()``: ``$FXKIT_LAB_DIR``; else, for a seminar's
trainee (``$FXKIT_TRAINEE``, else ``$JUPYTERHUB_USER``), ``<seminar dir>/labs/<trainee>``;
else the Unix user's own ``$XDG_STATE_HOME/fxkit/lab`` or ``~/.local/state/fxkit/lab``)::

    <labdir>/fx/state.json      the persisted LabState of scenario "fx"
    <labdir>/fx/state.lock      the fcntl lock every client takes around a command
    <labdir>/fx/state.version   a stamp rewritten with every save (what caches compare)
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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxkit.errors import LabError
from fxkit.lab.state import SECTIONS, LabFile, LabState

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
DEFAULT_SCENARIO = "fx"
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")
# A trainee's name becomes a directory name: JupyterHub's usual user names, nothing else.
TRAINEE = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")


@dataclass
class _Cached:
    """A state parsed in this process, with the text and version stamp it was saved at."""

    version: str
    text: str
    state: LabState


_CACHE: dict[Path, _Cached] = {}   # state file -> its last parsed state, per process


def _state_home() -> Path:
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home).expanduser() / "fxkit"


def lab_dir() -> Path:
    """The lab directory: ``$FXKIT_LAB_DIR``; else the trainee's own lab in the seminar
    directory when a trainee is named (``$FXKIT_TRAINEE``, else ``$JUPYTERHUB_USER``: one
    lab per trainee even when a hub runs every trainee as one Unix user); else the Unix
    user's state directory."""
    if env := os.environ.get("FXKIT_LAB_DIR"):
        return Path(env).expanduser()
    if trainee := os.environ.get("FXKIT_TRAINEE") or os.environ.get("JUPYTERHUB_USER"):
        return trainee_lab_dir(trainee)
    return _state_home() / "lab"


def seminar_dir() -> Path:
    """Where a seminar keeps its trainees' labs and its progress log: ``$FXKIT_SEMINAR_DIR``,
    else ``$XDG_STATE_HOME/fxkit/seminar`` (``~/.local/state/fxkit/seminar``)."""
    if env := os.environ.get("FXKIT_SEMINAR_DIR"):
        return Path(env).expanduser()
    return _state_home() / "seminar"


def check_trainee(name: str) -> str:
    if not TRAINEE.match(name or ""):
        raise LabError(f"trainee name {name!r}: use 1 to 32 lower-case letters, digits, - or _, "
                       "starting with a letter (it names the trainee's lab directory)")
    return name


def trainee_lab_dir(trainee: str) -> Path:
    """The lab directory of ``trainee``: ``<seminar dir>/labs/<trainee>``."""
    return seminar_dir() / "labs" / check_trainee(trainee)


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
        self.version_file = self.path / "state.version"

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

        The parsed state is kept between transactions of this process while the lab's
        version stamp (``state.version``, rewritten with every save under the lock) and
        state.json's inode, size and mtime are what they were when it was parsed: a command
        then costs no read and no parse. It is saved only
        when it changed (``LabState.changes`` moved); with ``FXKIT_LAB_CHECK_SAVES`` set
        (the tests set it) every transaction also compares the full dump, and a change that
        did not move ``changes`` is an error instead of a lost write.
        """
        with self.locked():
            version = self._version()
            cached = _CACHE.pop(self.state_file, None)  # back only if the body succeeds
            if cached is not None and version and cached.version == version:
                state, text = cached.state, cached.text
            else:
                text = self._read()
                state = (LabState.from_dict(self._parse(text)) if text
                         else build_state(self.scenario))
            before = state.changes
            yield state
            checking = bool(os.environ.get("FXKIT_LAB_CHECK_SAVES"))
            if state.changes != before or not text or checking:
                new = _dumps(state.to_dict())
                if checking and new != text and text and state.changes == before:
                    old_data, new_data = json.loads(text), json.loads(new)
                    moved = sorted(k for k in old_data.keys() | new_data.keys()
                                   if old_data.get(k) != new_data.get(k))
                    raise LabError(
                        f"lab bug: a command changed the lab's state ({', '.join(moved)}) "
                        "without saying so (LabState.touch or tick); the change would not "
                        "have been saved")
                if new != text:
                    self._write(new)
                    version = self._version()
                text = new
            if not version:         # a state saved without a stamp (by an older fxkit)
                _replace(self.path, self.version_file, uuid.uuid4().hex)
                version = self._version()
            _CACHE[self.state_file] = _Cached(version, text, state)

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

    def install(self, text: str, *, if_absent: bool = False) -> bool:
        """Make ``text`` (a dumped state, e.g. a seminar checkpoint built elsewhere) this
        scenario's state, under the lock; with ``if_absent``, only when there is no state
        yet (two clients creating a lab at once: the first one wins, the other keeps it).
        Returns whether it was written."""
        self._parse(text)
        with self.locked():
            if if_absent and self.exists():
                return False
            self._write(text)
            return True

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

    def _version(self) -> str:
        """The version stamp and state.json's inode, size and mtime: a save by any client
        changes the stamp; an edit by hand changes the rest."""
        try:
            st = self.state_file.stat()
            stamp = self.version_file.read_text(encoding="ascii")
        except FileNotFoundError:
            return ""
        return f"{stamp} {st.st_ino} {st.st_size} {st.st_mtime_ns}"

    def _write(self, text: str) -> None:
        """Replace state.json atomically, then stamp a new version (under the lock)."""
        _replace(self.path, self.state_file, text)
        _replace(self.path, self.version_file, uuid.uuid4().hex)


def _replace(directory: Path, target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
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
