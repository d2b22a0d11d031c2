"""The lab's state: one JSON-able container, with sections owned by resource models.

``LabState`` holds what every section shares (scenario, seed, logical clock,
hostname, hardware, the file tree) and one model object per resource section::

    state.lvm   -> fxkit.lab.lvm.model.LvmModel   (PVs, VGs, LVs, extents)
    state.xen   -> fxkit.lab.xen.model.XenModel   (domains)
    state.net   -> fxkit.lab.net.model.NetModel   (links, bridges)

Each model class provides ``from_dict(data, state)`` and ``to_dict()``; a
scenario is simply an initial state, one JSON file per section in
``fxkit/lab/scenarios/NAME/`` plus a ``files/`` tree copied into ``state.files``.

Determinism: nothing reads the wall clock or ``random``. Times come from
``state.now()`` (a logical clock advanced by ``tick``), identifiers from
``state.uuid(...)`` / ``state.mac(...)`` / ``state.token(...)``, all derived
from the scenario seed and the names involved.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import uuid as _uuid
from dataclasses import dataclass, field
from typing import Any

from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.net.model import NetModel
from fxkit.lab.tracked import TrackedDict, TrackedList, TrackedSet
from fxkit.lab.xen.model import XenModel

# section name -> its model class (the models import nothing of the lab: no cycle)
SECTIONS: dict[str, Any] = {"lvm": LvmModel, "xen": XenModel, "net": NetModel}

EPOCH = _dt.datetime(2007, 11, 21, 14, 0, 0, tzinfo=_dt.UTC)  # the seminar's day


@dataclass
class LabFile:
    content: str
    mode: int = 0o644

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "mode": self.mode}


@dataclass
class LabState:
    scenario: str = "fx"
    seed: int = 2007
    clock: int = 0
    hostname: str = "fx"
    hardware: dict[str, Any] = field(default_factory=dict)
    files: dict[str, LabFile] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    faults: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    # Bumped by every change (tick, touch, and any edit of files, dirs, faults or
    # counters); not persisted. The store saves a state only when it moved, so a change
    # to a section's model must tick or touch (FXKIT_LAB_CHECK_SAVES catches one that
    # does not).
    changes: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.files = TrackedDict(self.touch, self.files)
        self.dirs = TrackedSet(self.touch, self.dirs)
        self.faults = TrackedList(self.touch, self.faults)
        self.counters = TrackedDict(self.touch, self.counters)

    def touch(self) -> None:
        """Say the state changed without the clock moving (a section's own edit)."""
        self.changes += 1

    # -- sections -----------------------------------------------------------------

    def section(self, name: str) -> Any:
        if name not in self.sections:
            self.sections[name] = SECTIONS[name].from_dict({}, self)
        return self.sections[name]

    @property
    def lvm(self) -> Any:
        return self.section("lvm")

    @property
    def xen(self) -> Any:
        return self.section("xen")

    @property
    def net(self) -> Any:
        return self.section("net")

    # -- determinism --------------------------------------------------------------

    def tick(self, seconds: int = 1) -> int:
        """Advance the logical clock; every state-changing command ticks it."""
        self.clock += seconds
        self.changes += 1
        return self.clock

    def now(self) -> _dt.datetime:
        return EPOCH + _dt.timedelta(seconds=self.clock)

    def next_counter(self, name: str, start: int = 1) -> int:
        """A monotonically increasing counter (e.g. Xen domain ids), persisted."""
        value = self.counters.get(name, start - 1) + 1
        self.counters[name] = value
        return value

    def token(self, *parts: object) -> bytes:
        text = "\x1f".join([str(self.seed), *map(str, parts)])
        return hashlib.sha256(text.encode()).digest()

    def uuid(self, *parts: object) -> str:
        return str(_uuid.UUID(bytes=self.token("uuid", *parts)[:16], version=4))

    def mac(self, prefix: str, *parts: object) -> str:
        """A MAC under ``prefix`` (e.g. ``"00:16:3e"``), derived from ``parts``."""
        n = 6 - len(prefix.split(":"))
        tail = self.token("mac", *parts)[:n]
        return ":".join([prefix.lower(), *(f"{b:02x}" for b in tail)])

    # -- files ----------------------------------------------------------------------

    def read(self, path: str) -> str | None:
        f = self.files.get(path)
        return f.content if f else None

    def write(self, path: str, content: str, mode: int | None = None) -> None:
        old = self.files.get(path)
        if mode is None:
            mode = old.mode if old else 0o644
        self.files[path] = LabFile(content, mode)

    def is_dir(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        prefix = "/" if path == "/" else path + "/"
        return (path == "/" or path in self.dirs
                or any(p.startswith(prefix) for p in self.files)
                or any(d.startswith(prefix) for d in self.dirs))

    # -- (de)serialisation ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "seed": self.seed, "clock": self.clock,
            "hostname": self.hostname, "hardware": self.hardware,
            "files": {p: f.to_dict() for p, f in sorted(self.files.items())},
            "dirs": sorted(self.dirs),
            "faults": self.faults, "counters": self.counters,
            **{name: model.to_dict() for name, model in sorted(self.sections.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabState:
        state = cls(
            scenario=data.get("scenario", "fx"), seed=int(data.get("seed", 2007)),
            clock=int(data.get("clock", 0)), hostname=data.get("hostname", "fx"),
            hardware=dict(data.get("hardware", {})),
            files={p: LabFile(f["content"], int(f.get("mode", 0o644)))
                   for p, f in data.get("files", {}).items()},
            dirs=set(data.get("dirs", [])),
            faults=list(data.get("faults", [])), counters=dict(data.get("counters", {})),
        )
        for name in SECTIONS:
            if name in data:
                state.sections[name] = SECTIONS[name].from_dict(data[name], state)
        return state
