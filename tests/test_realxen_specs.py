"""Disk and vif specs: fxkit's parsers and the lab's `xl create` against Xen 4.17's own `xl`.

Each sample spec goes into a one-line config that both labs parse with `xl create -n` (a dry
run: xl parses the config, prints the domain config as JSON, builds nothing). Compared:
the exit status, the lines xl printed about the spec (its stderr less what it prints for
a config without the spec), and for an accepted spec what xl made of it (the JSON's
disk or nic fields fxkit models). The samples cover what libxlu's DISKSPEC scanner
(libxlu_disk_l.l) and xl's vif rules (xl_parse.c, libxlu_vif.c) accept, refuse, or accept
with a warning; every difference is listed at once, so one run of the real lab says all.
"""

from __future__ import annotations

import json

import pytest

from fxkit.host import Host
from fxkit.lab.store import build_state
from fxkit.testing.labstate import StateHost
from fxkit.xen.specs import DiskSpec, SpecError, VifSpec

pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(1800)]

CFG = "/etc/xen/specs.cfg"
BASE = 'name = "specs"\nmemory = 64\nkernel = "/boot/guest/vmlinuz"\n'

DISKS = [
    # accepted
    "phy:/dev/lvm/specs,xvda1,w", "/dev/lvm/specs,raw,xvda,rw", "/dev/lvm/specs,,xvda",
    "format=raw, vdev=xvdb, access=ro, target=/dev/lvm/specs", "phy:/dev/lvm/specs, xvda1 , w",
    ",,hdc:cdrom,r", "/srv/a.qcow2,qcow2,xvda,w,discard", "raw:/srv/a.iso,hdc:cdrom,ro",
    "tap:aio:/srv/x.img,xvda,w", "nbd:host:10809,xvda", "phy:hda1,hda1,w",
    "vdev=xvdc, devtype=cdrom", "/dev/lvm/specs,raw,xvda,w,trusted",
    # refused
    "/dev/lvm/specs,xvda1,w", "phy:/dev/x,xvda1,w,extra", "phy:/dev/x,xvda1,rwx",
    "foo:/dev/x,xvda1,w", "foo=bar,xvda", "vdev=xvda, devtype=floppy, target=/x",
    "raw:qcow:/x,xvda", "/dev/x,raw,xvda,w,=x", "phy:/dev/x", "vdev=xvda",
    "phy:/dev/x,hda1:floppy,w", "backendtype=qemu, vdev=xvda, target=/x", "",
]
VIFS = [
    # accepted, some with a warning
    "", "mac=00:16:3e:01:02:03, bridge=xenbr0", "bridge=xenbr0, rate=10Mb/s",
    "rate=1MB/s@20ms", "rate=250KB/s@100us", "rate=010MB/s", "rate=5Gb/s@1s",
    "mac=00-16-3e-01-02-03", "mac=0:16:3e:1:2:3", "mac=00:16:3e:01:02, bridge=xenbr0",
    "mac=00:16:3e:zz:00:01", "mac = 00:16:3e:01:02:03", "type=bogus", "type=ioemu",
    "netdev=eth0", "untrusted, script", "bridge=xenbr0, vlan=42", "accel=x",
    "bridge=xenbr0, bridge=xenbr1", "bridge=xenbr0 ", "mtu=9000, devid=3",
    # refused
    "rate=10Mbps", "rate=0Mb/s", "rate=5000000000B/s", "rate=@20ms", "rate=1MB/s@20min",
    "rate=1MB/s@0ms", "rate=1MB/s@5000s", "rate=10Mb/s ", "devid=x", "mtu=-1",
]


def dry_run(host: Host, line: str) -> tuple[int, list[str], str]:
    host.write_file(CFG, BASE + line)
    r = host.run(["xl", "create", "-n", CFG], check=False, timeout=120)
    return r.exit_status, r.stderr.splitlines(), r.stdout


def observe(host: Host, kind: str, spec: str, baseline: list[str]) -> dict:
    status, err, out = dry_run(host, f"{kind} = [ '{spec}' ]\n")
    seen: dict = {"exit": status, "printed": [ln for ln in err if ln not in baseline]}
    if status == 0:
        config = json.loads(out)
        if kind == "disk":
            d = config["disks"][0]
            seen["made"] = (d.get("pdev_path") or None, d.get("vdev"), d.get("format"),
                            d.get("readwrite", 0), d.get("is_cdrom", 0))
        else:
            n = config["nics"][0]
            seen["made"] = (n.get("mac"), n.get("bridge"), n.get("rate_bytes_per_interval", 0),
                            n.get("rate_interval_usecs", 0))
    return seen


def fxkit_view(kind: str, spec: str) -> tuple[str, tuple | None]:
    """What fxkit's own parser says: refused, or accepted and made into this."""
    try:
        if kind == "disk":
            d = DiskSpec.parse(spec)
            empty = d.devtype == "cdrom" and not d.target
            return "accepted", (d.target, d.vdev, "empty" if empty else d.format or "raw",
                                int(d.writable), int(d.devtype == "cdrom"))
        v = VifSpec.parse(spec)
        rate = v.rate_limit or (0, 0)
        return "accepted", (v.mac_address, v.bridge, *rate)
    except SpecError:
        return "refused", None


def test_specs_are_accepted_and_refused_as_xl_4_17_does(real_lab, monkeypatch) -> None:
    from fxkit.lab.real import real_host
    monkeypatch.setenv("FXKIT_LAB_DIR", str(real_lab.root))
    real, sim = real_host(), StateHost(build_state("fx"))
    differences = []
    try:
        base_real, base_sim = dry_run(real, "")[1], dry_run(sim, "")[1]
        for kind, specs in (("disk", DISKS), ("vif", VIFS)):
            for spec in specs:
                want = observe(real, kind, spec, base_real)
                got = observe(sim, kind, spec, base_sim)
                verdict, made = fxkit_view(kind, spec)
                if want != got:
                    differences.append(f"{kind} {spec!r}:\n  real xl: {want}\n  lab:     {got}")
                if verdict != ("accepted" if want["exit"] == 0 else "refused") or (
                        made is not None and "made" in want and made != want["made"]):
                    differences.append(f"{kind} {spec!r}: fxkit {verdict} {made}, real xl "
                                       f"{want}")
    finally:
        real.run(["rm", "-f", CFG], check=False)
        real.close()
    assert not differences, (f"{len(differences)} difference(s) from xl 4.17:\n"
                             + "\n".join(differences))
