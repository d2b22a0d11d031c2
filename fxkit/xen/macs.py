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
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, ParseError

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
    """Every explicit vif MAC: (normalized mac, config path, vif index)."""
    out = []
    for path, cfg in sorted(configs.items()):
        for i, vif in enumerate(cfg.vifs):
            if vif.mac:
                out.append((normalize_mac(vif.mac), path, i))
    return out


def duplicate_macs(configs: Mapping[str, DomainConfig]) -> dict[str, list[tuple[str, int]]]:
    """MACs used by more than one vif across ``configs``: mac -> [(config path, vif index)]."""
    seen: dict[str, list[tuple[str, int]]] = {}
    for mac, path, i in config_macs(configs):
        seen.setdefault(mac, []).append((path, i))
    return {mac: uses for mac, uses in seen.items() if len(uses) > 1}
