"""xl's vifspec rules, as Xen 4.17's ``xl create`` applies them to ``vif = [...]``.

From ``tools/xl/xl_parse.c``: ``parse_config_data`` splits each vif string with
``strtok(buf, ",")`` (empty pieces vanish), drops the spaces (not tabs) before each piece
and hands it to ``parse_nic_config``, whose return value it ignores. So most mistakes are
only printed: an unknown key or bare word ("unrecognized argument `...'"), a bad ``type``
or ``mac`` ("Invalid parameter `mac'."), ``netdev`` and ``accel``. The domain is still
built. Fatal, exit 1: ``devid`` and ``mtu`` through ``parse_ulong`` ("xl: failed to
convert ... to number") and ``rate`` through ``xlu_vif_parse_rate`` in
``tools/libs/util/libxlu_vif.c`` (bytes ``^[0-9]+[GMK]?[Bb]/s$``, an optional
``@INTERVAL`` ``^[0-9]+[mu]?s?$``, numbers read by ``strtoull(..., 0)`` so a leading 0
is octal, zero or more than 2^32-1 an overflow). Keys match as ``strncmp(key "=")``, so
``mac = x`` (a space before ``=``) is an unknown argument. Values are kept as written,
trailing spaces included::

    >>> scan_vif("mac=00:16:3e:01:02:03, bridge=xenbr0").fields["bridge"]
    'xenbr0'
    >>> scan_vif("rate=10Mbps").errors
    ["config parsing error in vif: invalid rate in `10Mbps'"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# parse_nic_config's keys, in its order (the colo_* keys are COLO's, kept as extras).
STRING_KEYS = ("bridge", "gatewaydev", "ip", "script", "backend", "vifname", "model")
COLO_KEYS = tuple(
    f"colo_sock_{what}_{part}" for what in (
        "mirror", "compare_sec_in", "redirector0", "redirector1", "redirector2",
        "compare_pri_in", "compare_notify") for part in ("id", "ip", "port")) + tuple(
    f"colo_filter_{what}" for what in (
        "mirror_queue", "mirror_outdev", "redirector0_queue", "redirector0_indev",
        "redirector0_outdev", "redirector1_queue", "redirector1_indev",
        "redirector1_outdev")) + (
    "colo_compare_pri_in", "colo_compare_sec_in", "colo_compare_out",
    "colo_compare_notify_dev") + tuple(
    f"colo_sock_sec_redirector{n}_{part}" for n in (0, 1) for part in ("id", "ip", "port")) \
    + tuple(f"colo_filter_sec_redirector{n}_{part}" for n in (0, 1)
            for part in ("queue", "indev", "outdev")) + (
    "colo_filter_sec_rewriter0_queue", "colo_checkpoint_host", "colo_checkpoint_port")
KEYS = ("type", "mac", *STRING_KEYS[:1], "netdev", *STRING_KEYS[1:], "rate", "forwarddev",
        *COLO_KEYS, "accel", "devid", "mtu")
NIC_TYPES = ("vif", "ioemu")
FIELD_KEYS = ("type", "mac", "rate", "devid", "mtu", *STRING_KEYS)
ULONG_MAX = UINT64_MAX = 2**64 - 1
UINT32_MAX = 2**32 - 1
_SPACE = " \t\n\v\f\r"


@dataclass
class VifScan:
    """What parse_nic_config made of one vifspec: values as text, xl's messages."""

    spec: str
    fields: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)          # trusted / untrusted
    extra: list[tuple[str, str]] = field(default_factory=list)
    mac_octets: tuple[int, ...] | None = None              # None: no mac= given
    rate: tuple[int, int] | None = None                     # bytes per interval, usecs
    warnings: list[str] = field(default_factory=list)       # printed, the create goes on
    errors: list[str] = field(default_factory=list)         # xl exits 1


def strtoul(buf: str, pos: int, base: int) -> tuple[int, int]:
    """C's strtoul(3) on ``buf`` from ``pos``: (value, end); end == pos when no digits.
    Overflow and negative values wrap as glibc does (ULONG_MAX, or 2^64 - n)."""
    i = pos
    while i < len(buf) and buf[i] in _SPACE:
        i += 1
    sign = 1
    if i < len(buf) and buf[i] in "+-":
        sign = -1 if buf[i] == "-" else 1
        i += 1
    if base in (0, 16) and buf[i:i + 2].lower() == "0x" and i + 2 < len(buf) \
            and buf[i + 2] in "0123456789abcdefABCDEF":
        base, i = 16, i + 2
    elif base == 0:
        base = 8 if buf[i:i + 1] == "0" else 10
    digits = "0123456789abcdef"[:base]
    start = i
    while i < len(buf) and buf[i].lower() in digits:
        i += 1
    if i == start:
        return 0, pos
    value = int(buf[start:i], base)
    if value > ULONG_MAX:
        return ULONG_MAX, i
    return (value if sign > 0 else (-value) % 2**64), i


def scan_vif(spec: str) -> VifScan:
    """Apply xl 4.17's rules to one vifspec (see the module docstring)."""
    s = VifScan(spec)
    # strtok writes a NUL over the comma that ends each piece; the MAC parser can read
    # past that NUL into the next piece, so the pieces are kept as offsets in one buffer.
    for m in re.finditer(r"[^,]+", spec):
        start = m.start()
        while start < m.end() and spec[start] == " ":
            start += 1
        buf = spec[:m.end()] + "\0" + spec[m.end() + 1:]
        _token(s, spec[start:m.end()], buf, start)
    return s


def _token(s: VifScan, token: str, buf: str, at: int) -> None:
    key, eq, value = token.partition("=")
    if not eq or key not in KEYS:
        if token in ("trusted", "untrusted"):
            s.flags.append(token)
        else:
            s.warnings.append(f"unrecognized argument `{token}'")
            if eq:
                s.extra.append((key, value))
            elif token:
                s.flags.append(token)
        return
    if key == "type" and value not in NIC_TYPES:
        s.warnings.append("Invalid parameter `type'.")
    elif key == "mac":
        s.mac_octets = _mac(s, buf, at + len("mac="))
    elif key == "netdev":
        s.warnings.append("the netdev parameter is deprecated, please use gatewaydev instead")
        key = "gatewaydev"
    elif key == "accel":
        s.warnings.append("the accel parameter for vifs is currently not supported")
    elif key == "rate":
        s.rate = _rate(s, value)
    elif key in ("devid", "mtu"):
        number, end = strtoul(value, 0, 10)
        if end == 0 or number == ULONG_MAX:
            s.errors.append(f'xl: failed to convert "{value}" to number')
    if key in FIELD_KEYS:
        s.fields[key] = value                # replace_string: the last one wins
    else:
        s.extra.append((key, value))


def _mac(s: VifScan, buf: str, pos: int) -> tuple[int, ...]:
    """The six bytes xl stores; after a bad one the rest stay 0, as in the C struct."""
    octets = [0] * 6
    for i in range(6):
        value, end = strtoul(buf, pos, 16) if pos < len(buf) else (0, pos)
        if end == pos or value > 255:
            s.warnings.append("Invalid parameter `mac'.")
            break
        octets[i] = value
        pos = end + 1
    return tuple(octets)


def _err(s: VifScan, message: str, text: str) -> None:
    s.errors.append(f"config parsing error in vif: {message} in `{text}'")


def _rate(s: VifScan, rate: str) -> tuple[int, int] | None:
    """xlu_vif_parse_rate: (bytes per interval, interval in microseconds)."""
    amount, at, interval = rate.partition("@")
    if amount == "":
        _err(s, "no rate specified", rate)
        return None
    if not re.fullmatch(r"[0-9]+[GMK]?[Bb]/s", amount):
        _err(s, "invalid rate", amount)
        return None
    number, end = strtoul(amount, 0, 0)
    if number == 0 or number > UINT32_MAX:
        _err(s, "rate overflow", amount)
        return None
    unit = amount[end:]
    number *= {"G": 10**9, "M": 10**6, "K": 10**3}.get(unit[:1], 1)
    if unit[:1] == "b" or unit[1:2] == "b":
        number //= 8
    usecs = 50_000                            # the default: 50 ms
    if at:
        if not re.fullmatch(r"[0-9]+[mu]?s?", interval):
            _err(s, "invalid replenishment interval", interval)
            return None
        usecs, end = strtoul(interval, 0, 0)
        if usecs == 0 or usecs > UINT32_MAX:
            _err(s, "replenishment interval overflow", interval)
            return None
        usecs *= {"s": 10**6, "": 10**6, "m": 10**3}.get(interval[end:end + 1], 1)
        if usecs > UINT32_MAX:
            _err(s, "replenishment interval overflow", interval)
            return None
    if number > UINT64_MAX // usecs:
        _err(s, "rate overflow", rate)
        return None
    return number * usecs // 1_000_000, usecs
