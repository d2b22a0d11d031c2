"""Provision the real dom0 as fx over SSH, with fxkit's own Plan: VG lvm, LVs, bridges, titanic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from fxkit.errors import ApplyFailed, ConnectionFailed, PreconditionFailed
from fxkit.host import Host
from fxkit.lvm import plan_lv_create, plan_vg_create, read_facts
from fxkit.net import plan_bridge_create, read_net
from fxkit.plan import FileWrite, Plan, Step
from fxkit.xen import plan_domu_start, read_domu_facts

ARRAY_PV = "/dev/vdb2"       # the LVM partition of the array disk (vdb1 is /boot's place)
VG = "lvm"
# fx's LVs, scaled down: the seed's names, sizes that fit a 4 GB sparse array.
LVS = (("secours-root", "256M", "ext4"), ("secours-swap", "64M", "swap"),
       ("titanic-root", "256M", "ext4"), ("titanic-swap", "64M", "swap"))
# bridge -> its physical port; xenbr1 carries VLAN 10 of eth1, as fx keeps VLANs apart.
VLAN = ("eth1", 10)
BRIDGES = (("xenbr0", "eth1"), ("xenbr1", "eth1.10"), ("xenbr2", "eth2"))
GUEST = "titanic"
GUEST_CFG = "/etc/xen/titanic.cfg"
# The seed's /etc/xen/titanic with its 2.6.18 kernel swapped for the lab's tiny PV guest
# (Debian's kernel needs memory >= 96 as a PV domU: with 64, xc_dom_chk_alloc_pages fails).
TITANIC = """\
# titanic, from fx's /etc/xen/titanic, adapted by fxkit to the real lab's tiny guest
kernel = "/boot/guest/vmlinuz"
ramdisk = "/boot/guest/initrd.gz"
extra = "console=hvc0 rdinit=/init quiet"
memory = 128
vcpus = 1
name = "titanic"
vif = [ 'mac=aa:73:65:63:6f:75, bridge=xenbr0', 'mac=aa:73:65:63:6f:76, bridge=xenbr1',
        'mac=aa:73:65:63:6f:77, bridge=xenbr2' ]
disk = [ 'phy:/dev/mapper/lvm-secours--root,xvda1,w',
         'phy:/dev/mapper/lvm-secours--swap,xvda2,w' ]
on_poweroff = "destroy"
on_crash = "destroy"
"""


def fails(*argv: str) -> Callable[[Host], bool]:
    """A `needed` check: the step is needed while this read-only command fails."""
    return lambda host: not host.run(list(argv), check=False, read_only=True).ok


def fs_is_not(dev: str, fstype: str) -> Callable[[Host], bool]:
    def check(host: Host) -> bool:
        r = host.run(["blkid", "-o", "value", "-s", "TYPE", dev], check=False, read_only=True)
        return r.stdout.strip() != fstype
    return check


def link(host: Host, name: str) -> dict | None:
    r = host.run(["ip", "-j", "link", "show", "dev", name], check=False, read_only=True)
    return json.loads(r.stdout)[0] if r.ok and r.stdout.strip() else None


def master_is_not(dev: str, bridge: str) -> Callable[[Host], bool]:
    return lambda host: (link(host, dev) or {}).get("master") != bridge


def is_down(dev: str) -> Callable[[Host], bool]:
    return lambda host: "UP" not in (link(host, dev) or {}).get("flags", [])


def file_differs(path: str, content: str) -> Callable[[Host], bool]:
    def check(host: Host) -> bool:
        r = host.run(["cat", path], check=False, read_only=True)
        return not r.ok or r.stdout != content
    return check


def all_steps() -> list[Step]:
    """Every step that makes a fresh dom0 into fx, each with its own `needed` check."""
    steps = [Step(f"Make {ARRAY_PV} (the array's LVM partition) an LVM physical volume",
                  ("pvcreate", ARRAY_PV), needed=fails("pvs", ARRAY_PV)),
             Step(f"Create volume group {VG} on {ARRAY_PV} (4 MiB extents)",
                  ("vgcreate", "-s", "4m", VG, ARRAY_PV), needed=fails("vgs", VG))]
    for name, size, fs in LVS:
        dev = f"/dev/{VG}/{name}"
        steps.append(Step(f"Create logical volume {VG}/{name} ({size})",
                          ("lvcreate", "-y", "-L", size, "-n", name, VG),
                          needed=fails("lvs", f"{VG}/{name}")))
        steps.append(Step(f"Activate {VG}/{name}", ("lvchange", "-ay", f"{VG}/{name}"),
                          needed=fails("test", "-b", dev)))
        mkfs = ("mkfs.ext4", "-q", "-L", name, dev) if fs == "ext4" else ("mkswap", "-L", name, dev)
        steps.append(Step(f"Make a {fs} filesystem on {VG}/{name}", mkfs,
                          needed=fs_is_not(dev, fs)))
    port, vid = VLAN
    steps.append(Step(f"Add VLAN {vid} sub-interface {port}.{vid}",
                      ("ip", "link", "add", "link", port, "name", f"{port}.{vid}", "type",
                       "vlan", "id", str(vid)),
                      needed=fails("ip", "link", "show", f"{port}.{vid}")))
    for bridge, dev in BRIDGES:
        steps.append(Step(f"Create bridge {bridge}", ("ip", "link", "add", "name", bridge,
                                                      "type", "bridge"),
                          needed=fails("ip", "link", "show", bridge)))
        steps.append(Step(f"Attach {dev} to {bridge}", ("ip", "link", "set", "dev", dev,
                                                        "master", bridge),
                          needed=master_is_not(dev, bridge)))
    for dev in ("eth1", "eth2", f"{port}.{vid}", *(b for b, _ in BRIDGES)):
        steps.append(Step(f"Bring {dev} up", ("ip", "link", "set", "dev", dev, "up"),
                          needed=is_down(dev)))
    steps.append(Step(f"Write {GUEST_CFG}", write=FileWrite(GUEST_CFG, TITANIC, 0o644),
                      needed=file_differs(GUEST_CFG, TITANIC)))
    steps.append(Step(f"Start domU {GUEST}", ("xl", "create", GUEST_CFG), timeout=180,
                      needed=fails("xl", "domid", GUEST)))
    return steps


def plan_fx(host: Host) -> Plan:
    """Plain steps still needed on ``host`` (a cross-check of fxkit's domain plans, which
    provision with them); empty when it is fx already."""
    steps = [s for s in all_steps() if s.needed is None or s.needed(host)]
    return Plan("Provision the real lab as fx", steps,
                reason="dom0 already has fx's VG, LVs, bridges and running titanic",
                replan=plan_fx)


def fx_plans(host: Host) -> Iterator[Plan]:
    """fxkit's own plans, one at a time on fresh facts (each depends on the one before)."""
    yield plan_vg_create(read_facts(host, fs_sizes=False), VG, [ARRAY_PV], extent_size="4M")
    for name, size, fs in LVS:
        yield plan_lv_create(read_facts(host, fs_sizes=False), VG, name, size, fs=fs)
    for bridge, uplink in BRIDGES:
        yield plan_bridge_create(read_net(host), bridge, uplink)
    yield Plan(f"Write {GUEST_CFG}", [s for s in all_steps() if s.write is not None
                                      and file_differs(GUEST_CFG, TITANIC)(host)])
    yield plan_domu_start(read_domu_facts(host), GUEST)


def provision(host: Host, say: Callable[[str], None] = print) -> int:
    """Make dom0 into fx with fxkit's plans; after a restart it re-creates the bridges and
    restarts titanic (LVs persist). Returns the number of steps applied."""
    applied = 0
    for plan in fx_plans(host):   # each plan is built after the last one applied
        if plan.empty:
            continue
        say(f"provision: {plan.title} ({len(plan.steps)} step(s))")
        applied += _apply(plan, host, say)
    left = plan_fx(host)
    if not left.empty:
        raise PreconditionFailed("provisioned, but the real lab still differs from fx: "
                                 + "; ".join(s.description for s in left.steps))
    say(f"provision: done, {applied} step(s) applied" if applied else
        "provision: nothing to do, dom0 is already fx")
    return applied


def _apply(plan: Plan, host: Host, say: Callable[[str], None], tries: int = 3) -> int:
    """Apply ``plan``; a domU start is retried, because on a loaded TCG host libxl's 40 s
    hotplug timeout can kill the `block` script (the domain is then destroyed, so a
    second `xl create` starts clean)."""
    for attempt in range(1, tries + 1):
        try:
            outcome = plan.apply(host, confirm=[ARRAY_PV],
                                 progress=lambda n, t, s: say(f"  [{n}/{t}] {s.description}"))
            return len(outcome.ran)
        except (ApplyFailed, ConnectionFailed, EOFError) as e:
            # EOFError: Paramiko's, when sshd drops a reconnect mid-handshake (not translated
            # by fxkit.transports.ssh yet).
            dropped = not isinstance(e, ApplyFailed) or isinstance(e.__cause__, ConnectionFailed)
            if attempt == tries or not (dropped or plan.title.startswith("Start ")):
                raise
            # Plans re-check each step, so applying again only does what is left.
            say(f"  {plan.title} failed (attempt {attempt}): {str(e)[:300]}; retrying")
            if hasattr(host, "close"):
                host.close()
            time.sleep(10)
            if not dropped:
                host.run(["xl", "destroy", GUEST], check=False)
    return 0
