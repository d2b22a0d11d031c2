"""Debian's ifupdown files (``/etc/network/interfaces`` and ``interfaces.d/``): parse and write.

A dom0 with bridge-utils and vlan keeps its bridges there so they come back at boot::

    auto xenbr1
    iface xenbr1 inet manual
        bridge_ports eth0.42
        bridge_stp off
        bridge_fd 0

Option names are the ones bridge-utils' and vlan's ifupdown hooks read
(``/etc/network/if-pre-up.d/bridge`` and ``vlan``; see interfaces(5) and
bridge-utils-interfaces(5)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fxkit.errors import ParseError

if TYPE_CHECKING:
    from fxkit.host import Host

MAIN = "/etc/network/interfaces"
DIRECTORY = "/etc/network/interfaces.d"
_VLAN_NAME = re.compile(r"(?P<raw>.+)\.(?P<vid>[0-9]{1,4})\Z")
_STANZA_WORDS = ("iface", "mapping", "auto", "allow-auto", "source", "source-directory")


@dataclass
class Stanza:
    """One ``iface NAME FAMILY METHOD`` block with its options, in file order."""

    name: str
    family: str = "inet"
    method: str = "manual"
    options: list[tuple[str, str]] = field(default_factory=list)
    auto: bool = False
    path: str = ""

    def get(self, key: str) -> str | None:
        key = key.replace("-", "_")
        return next((v for k, v in self.options if k.replace("-", "_") == key), None)

    @property
    def bridge_ports(self) -> list[str] | None:
        """The ports of a bridge stanza (``[]`` for ``none``), or None if not a bridge."""
        value = self.get("bridge_ports")
        if value is None:
            return None
        words = value.split()
        return [] if words == ["none"] else words

    @property
    def stp(self) -> bool:
        return (self.get("bridge_stp") or "off").lower() in ("on", "yes", "1")

    @property
    def vlan(self) -> tuple[str, int] | None:
        """(raw device, VLAN id) for a VLAN stanza (``eth0.42`` or ``vlan-raw-device``)."""
        m = _VLAN_NAME.match(self.name)
        raw = self.get("vlan_raw_device")
        vid = self.get("vlan_id")
        if raw and (vid or m):
            return raw, int(vid) if vid else int(m.group("vid"))  # type: ignore[union-attr]
        if m and not raw:
            return m.group("raw"), int(m.group("vid"))
        return None


def parse_interfaces(text: str, path: str = MAIN) -> tuple[list[Stanza], list[str]]:
    """Stanzas and ``source`` patterns of one ifupdown file."""
    stanzas: list[Stanza] = []
    sources: list[str] = []
    autos: set[str] = set()
    current: Stanza | None = None
    for n, raw in enumerate(_logical_lines(text), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        head = words[0]
        if head == "iface":
            if len(words) < 4:
                raise ParseError(f"{path}: line {n}: `{line[:80]}` needs "
                                 "`iface NAME FAMILY METHOD`")
            current = Stanza(words[1], words[2], words[3], path=path)
            stanzas.append(current)
        elif head in ("auto", "allow-auto") or head.startswith("allow-"):
            autos.update(words[1:])
            current = None
        elif head in ("source", "source-directory"):
            sources += [w if head == "source" else w.rstrip("/") + "/*" for w in words[1:]]
            current = None
        elif head == "mapping":
            current = None
        elif current is not None:
            current.options.append((head, " ".join(words[1:])))
        else:
            raise ParseError(f"{path}: line {n}: option `{line[:80]}` outside any iface stanza")
    for s in stanzas:
        s.auto = s.name in autos
    return stanzas, sources


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, as ifupdown reads them."""
    out: list[str] = []
    buf = ""
    for line in text.splitlines():
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        out.append(buf + line)
        buf = ""
    if buf:
        out.append(buf)
    return out


def sources_directory(sources: list[str], directory: str = DIRECTORY) -> bool:
    """Whether ``source`` lines pull in every file of ``directory``."""
    d = directory.rstrip("/")
    return any(s.rstrip("/") in (d + "/*", d) for s in sources)


def render_bridge(name: str, ports: list[str], *, stp: bool = False, forward_delay: float = 0,
                  vlans: Sequence[tuple[str, str, int]] = (), comment: str = "",
                  method: str = "manual", options: Sequence[tuple[str, str]] = ()) -> str:
    """The interfaces.d file for one bridge (and the VLAN sub-interfaces it uses).

    ``forward_delay`` is in seconds, as bridge_fd takes it; ``vlans`` holds
    (name, raw device, id) triples; ``method`` and ``options`` (address, gateway...)
    are kept from an existing stanza so that rewriting the ports loses nothing.
    """
    lines = [f"# {comment or f'Bridge {name}, written by fxkit.'}",
             "# Changes here apply at the next `ifup` (or boot); check with `fxkit net drift`.",
             ""]
    for vname, raw, vid in vlans:
        lines += [f"auto {vname}", f"iface {vname} inet manual", f"    vlan-raw-device {raw}"]
        if vname != f"{raw}.{vid}":
            lines.append(f"    vlan-id {vid}")
        lines.append("")
    lines += [f"auto {name}", f"iface {name} inet {method}",
              *(f"    {k} {v}" for k, v in options),
              f"    bridge_ports {' '.join(ports) if ports else 'none'}",
              f"    bridge_stp {'on' if stp else 'off'}",
              f"    bridge_fd {forward_delay:g}",
              "    bridge_maxwait 0", ""]
    return "\n".join(lines)


def kept_options(stanza: Stanza | None) -> list[tuple[str, str]]:
    """A stanza's options other than the bridge ones fxkit writes itself."""
    if stanza is None:
        return []
    return [(k, v) for k, v in stanza.options
            if not k.replace("-", "_").startswith("bridge_")]


def file_for(bridge: str) -> str:
    return f"{DIRECTORY}/{bridge}"


@dataclass(frozen=True)
class Persisted:
    """What ifupdown will build at boot: every stanza of interfaces and interfaces.d/."""

    files: Mapping[str, str] = field(default_factory=dict)
    stanzas: tuple[Stanza, ...] = ()
    sources_dir: bool = False

    @property
    def installed(self) -> bool:
        """ifupdown's main file exists (a host without it does not read interfaces.d)."""
        return MAIN in self.files

    def stanza(self, name: str) -> Stanza | None:
        return next((s for s in self.stanzas if s.name == name), None)

    def bridges(self) -> list[Stanza]:
        return [s for s in self.stanzas if s.bridge_ports is not None]


def parse_persisted(files: Mapping[str, str]) -> Persisted:
    """Pure: ``{path: text}`` of the main file and the interfaces.d files."""
    stanzas: list[Stanza] = []
    sources: list[str] = []
    for path in sorted(files, key=lambda p: (p != MAIN, p)):
        found, src = parse_interfaces(files[path], path)
        stanzas += found
        sources += src
    return Persisted(dict(files), tuple(stanzas), sources_directory(sources))


def read_persisted(host: Host) -> Persisted:
    files: dict[str, str] = {}
    for path in [MAIN, *_list_dir(host)]:
        try:
            files[path] = host.read_file(path)
        except (FileNotFoundError, IsADirectoryError):
            continue
    return parse_persisted(files)


def _list_dir(host: Host) -> list[str]:
    r = host.run(["ls", "-1", DIRECTORY], read_only=True, check=False)
    names = r.stdout.split() if r.exit_status == 0 else []
    # ifupdown's `source dir/*` skips editor backups and dpkg leftovers only by habit; we too
    return [f"{DIRECTORY}/{n}" for n in sorted(names) if not n.endswith(("~", ".dpkg-old"))]


def read_text(host: Host, path: str) -> str | None:
    try:
        return host.read_file(path)
    except (FileNotFoundError, IsADirectoryError):
        return None
