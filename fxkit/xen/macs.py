"""Guest MAC addresses: stable ones from a domain name, and duplicates across configs.

xl-network-configuration(5) recommends either Xen's OUI ``00:16:3e`` or a
locally administered, unicast address (first byte ``xxxxxx10``); fx used
the latter (``aa:73:65:...``)::

    >>> stable_mac("titanic", 0) == stable_mac("titanic", 0)
    True
    >>> stable_mac("titanic", 0, prefix="aa:73:65")[:8]
    'aa:73:65'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, ParseError
from fxkit.xen.specs import VifSpec

if TYPE_CHECKING:
    from fxkit.xen.config import DomainConfig

XEN_OUI = "00:16:3e"
_OCTETS = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){0,5}\Z")


def normalize_mac(mac: str) -> str:
    """Lower-case, colon-separated; ``ParseError`` if it is not a MAC."""
    m = mac.strip().lower().replace("-", ":")
    if not _OCTETS.match(m) or m.count(":") != 5:
        raise ParseError(f"{mac!r} is not a MAC address (six hex pairs, e.g. 00:16:3e:01:02:03)")
    return m


def check_prefix(prefix: str) -> str:
    """A usable MAC prefix: Xen's OUI, or 1-5 octets that are unicast and locally administered."""
    p = prefix.strip().lower()
    if not _OCTETS.match(p) or p.count(":") > 4:
        raise InvalidRequest(f"MAC prefix {prefix!r}: give 1 to 5 hex octets, e.g. 00:16:3e")
    first = int(p[:2], 16)
    if first & 1:
        raise InvalidRequest(f"MAC prefix {prefix!r} is a multicast address (lowest bit of the "
                             "first byte set); guests need unicast MACs: use e.g. aa:... or "
                             "00:16:3e")
    if p != XEN_OUI and not p.startswith(XEN_OUI) and not first & 2:
        raise InvalidRequest(f"MAC prefix {prefix!r} is neither Xen's OUI (00:16:3e) nor "
                             "locally administered (second-lowest bit of the first byte set, "
                             "e.g. aa:, 02:, 06:); it may clash with real hardware")
    return p


def stable_mac(domain: str, index: int, prefix: str = XEN_OUI) -> str:
    """The MAC of vif ``index`` of ``domain``: the same every time, under ``prefix``."""
    p = check_prefix(prefix)
    n = 6 - len(p.split(":"))
    digest = hashlib.sha256(f"fxkit-mac\x1f{domain}\x1f{index}".encode()).digest()
    tail = bytearray(digest[:n])
    if n == 6:   # pragma: no cover - check_prefix needs at least one octet
        tail[0] = (tail[0] & 0xFC) | 0x02
    return ":".join([p, *(f"{b:02x}" for b in tail)])


def config_macs(configs: Mapping[str, DomainConfig]) -> list[tuple[str, str, int]]:
    """Every MAC a config gives a vif: (mac as xl reads it, config path, vif index).

    ``mac_address`` is what xl makes of ``mac=``: a malformed one is only a warning to xl
    (``bad_macs`` lists them), and a vif line xl refuses is its config's own problem
    (``fxkit.xen.facts.parse_configs``); neither stops fxkit reading the other configs.
    """
    return [(mac, path, i) for path, i, vif in _vifs(configs) if (mac := vif.mac_address)]


def bad_macs(configs: Mapping[str, DomainConfig]) -> list[tuple[str, int, str, str | None]]:
    """Each ``mac=`` xl warns about ("Invalid parameter `mac'."): (config path, vif index,
    the mac as written, the MAC xl gives the card instead, or None for a random one)."""
    return [(path, i, vif.mac, vif.mac_address) for path, i, vif in _vifs(configs)
            if vif.mac is not None and any("`mac'" in w for w in vif.warnings)]


def _vifs(configs: Mapping[str, DomainConfig]) -> Iterator[tuple[str, int, VifSpec]]:
    """(path, index, vif) for every vif line xl accepts, configs in path order."""
    for path, cfg in sorted(configs.items()):
        for i, line in enumerate(cfg.get_list("vif")):
            try:
                yield path, i, VifSpec.parse(line)
            except ParseError:
                continue


def duplicate_macs(configs: Mapping[str, DomainConfig]) -> dict[str, list[tuple[str, int]]]:
    """MACs used by more than one vif across ``configs``: mac -> [(config path, vif index)]."""
    seen: dict[str, list[tuple[str, int]]] = {}
    for mac, path, i in config_macs(configs):
        seen.setdefault(mac, []).append((path, i))
    return {mac: uses for mac, uses in seen.items() if len(uses) > 1}
