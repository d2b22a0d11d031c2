"""After a restore: dom0's clock set to now and its random generator reseeded from the host.

A restored dom0 resumes exactly as it was saved: its wall clock reads the moment of the
save, and its kernel's random generator holds the same state in every restore, so two
restores would draw the same "random" numbers until the kernel next reseeds. One round
trip fixes both: the host's time and 64 bytes of the host's entropy go to a stdlib-only
Python program in dom0 (on stdin, never in an argv or a log), which credits the bytes to
the kernel's pool (RNDADDENTROPY), forces a reseed (RNDRESEEDCRNG, Linux 4.17+) and sets
the clock. Setting dom0's clock also sets Xen's wall clock (Linux does that for the
initial domain), so domUs created afterwards start at the right time.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from fxkit.errors import LabError
from fxkit.host import Host

SEED_BYTES = 64
# Runs in dom0 as root. Reads {"time": epoch, "seed": hex} on stdin; prints what it did.
PROGRAM = r'''
import fcntl, json, struct, sys, time
req = json.load(sys.stdin)
got = time.monotonic()
seed = bytes.fromhex(req["seed"])
RNDADDENTROPY, RNDRESEEDCRNG = 0x40085203, 0x5207
with open("/dev/random", "wb") as f:
    fcntl.ioctl(f, RNDADDENTROPY, struct.pack("ii", len(seed) * 8, len(seed)) + seed)
    try:
        fcntl.ioctl(f, RNDRESEEDCRNG)
        reseeded = True
    except OSError:
        reseeded = False
before = time.time()
now = req["time"] + (time.monotonic() - got)
time.clock_settime(time.CLOCK_REALTIME, now)
json.dump({"was": before, "set": now, "reseeded": reseeded}, sys.stdout)
'''


@dataclass(frozen=True)
class Freshened:
    """What the program did: how far behind dom0's clock was, and whether it reseeded."""

    behind_seconds: float
    reseeded: bool


def freshen(host: Host) -> Freshened:
    """Set dom0's clock to the host's and reseed its random generator (one round trip)."""
    request = json.dumps({"time": time.time(), "seed": os.urandom(SEED_BYTES).hex()})
    r = host.run(["python3", "-c", PROGRAM], input=request, check=False, timeout=120)
    if not r.ok:
        raise LabError(f"{host.name}: setting dom0's clock and reseeding its random "
                       f"generator after the restore failed ({r.exit_status}): "
                       f"{r.stderr.strip()[-300:]}")
    try:
        out = json.loads(r.stdout)
        return Freshened(round(float(out["set"]) - float(out["was"]), 1), bool(out["reseeded"]))
    except (ValueError, KeyError, TypeError) as e:
        raise LabError(f"{host.name}: the clock/entropy program answered {r.stdout[:200]!r}") \
            from e


__all__ = ["Freshened", "freshen", "PROGRAM"]
