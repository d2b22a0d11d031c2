"""The lab host's hardware facts (scenario host.json ``hardware``) and the /proc files they make.

``hardware`` keys: ``cpu`` (vendor_id, family, model, model_name, stepping, mhz,
cache_kb, bogomips, sockets, cores_per_socket, threads_per_core, cpuid_level,
flags), ``memory`` (total_mib, meminfo_kib: /proc/meminfo fields in kB,
dom0_reserved_kib), ``kernel`` (sysname, release, version, machine, os) and ``disks``.

A Xen dom0 does not see the machine's memory: Xen gives it ``dom0_mem=`` (menu.lst), the
Mem of Domain-0 in ``xl list``, and its kernel keeps some for itself. So with
``dom0_reserved_kib`` and no MemTotal, MemTotal is Domain-0's memory less that. Without a
SwapTotal, it is the swap areas of /etc/fstab: each device less the page mkswap writes
its header in. The lab's dom0 then agrees with its own boot configuration.
"""

from __future__ import annotations

from fxkit.lab.state import LabState


def kernel(state: LabState) -> dict[str, str]:
    k = {"sysname": "Linux", "release": "unknown", "version": "#1 SMP", "machine": "x86_64",
         "os": "GNU/Linux"}
    k.update(state.hardware.get("kernel", {}))
    return k


def cpu_count(state: LabState) -> int:
    cpu = state.hardware.get("cpu", {})
    return (int(cpu.get("sockets", 1)) * int(cpu.get("cores_per_socket", 1))
            * int(cpu.get("threads_per_core", 1)))


# /proc/meminfo's order (Linux fs/proc/meminfo.c); other fields follow in scenario order
_MEMINFO_ORDER = ("MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal",
                  "SwapFree", "Shmem", "SReclaimable")
PAGE_KIB = 4


def swap_kib(state: LabState) -> int:
    """The swap areas /etc/fstab turns on, in KiB (an LV less mkswap's header page)."""
    total = 0
    for line in (state.read("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith("#") or fields[2] != "swap":
            continue
        lv = state.lvm.resolve(fields[0])
        if lv is not None and (lv.fs or {}).get("type") == "swap":
            total += lv.size_bytes // 1024 - PAGE_KIB
    return total


def meminfo(state: LabState) -> dict[str, int]:
    mem = state.hardware.get("memory", {})
    info = dict(mem.get("meminfo_kib", {}))
    if "MemTotal" not in info and "dom0_reserved_kib" in mem:
        dom0 = state.xen.find("Domain-0")
        if dom0 is not None:
            info["MemTotal"] = dom0.memory * 1024 - int(mem["dom0_reserved_kib"])
    total = info.setdefault("MemTotal", int(mem.get("total_mib", 1024)) * 1024)
    for key, default in (("MemFree", total // 2), ("Buffers", 0), ("Cached", 0), ("Shmem", 0),
                         ("SReclaimable", 0)):
        info.setdefault(key, default)
    if "SwapTotal" not in info:
        info["SwapTotal"] = swap_kib(state)
    info.setdefault("SwapFree", info["SwapTotal"])
    info.setdefault("MemAvailable", info["MemFree"] + info["Cached"] + info["Buffers"])
    ordered = {k: info[k] for k in _MEMINFO_ORDER if k in info}
    return {**ordered, **info}


def proc_file(state: LabState, path: str) -> str | None:
    """/proc/cpuinfo, /proc/meminfo, /proc/version, /proc/uptime from the state."""
    k = kernel(state)
    if path == "/proc/version":
        return f"Linux version {k['release']} (lab@fxkit) (gcc version 4.1.2) {k['version']}\n"
    if path == "/proc/uptime":
        up = state.clock + 86400
        return f"{up}.00 {up * cpu_count(state)}.00\n"
    if path == "/proc/meminfo":
        return "".join(f"{key + ':':<16}{value:>8} kB\n" for key, value in meminfo(state).items())
    if path != "/proc/cpuinfo":
        return None
    cpu = state.hardware.get("cpu", {})
    cores = int(cpu.get("cores_per_socket", 1)) * int(cpu.get("threads_per_core", 1))
    blocks = []
    for n in range(cpu_count(state)):
        blocks.append(
            f"processor\t: {n}\nvendor_id\t: {cpu.get('vendor_id', 'GenuineIntel')}\n"
            f"cpu family\t: {cpu.get('family', 6)}\nmodel\t\t: {cpu.get('model', 15)}\n"
            f"model name\t: {cpu.get('model_name', 'unknown')}\n"
            f"stepping\t: {cpu.get('stepping', 1)}\ncpu MHz\t\t: {cpu.get('mhz', 0):.3f}\n"
            f"cache size\t: {cpu.get('cache_kb', 0)} KB\nphysical id\t: {n // cores}\n"
            f"siblings\t: {cores}\ncore id\t\t: {n % cores}\n"
            f"cpu cores\t: {cpu.get('cores_per_socket', 1)}\nfpu\t\t: yes\n"
            f"fpu_exception\t: yes\ncpuid level\t: {cpu.get('cpuid_level', 10)}\nwp\t\t: yes\n"
            f"flags\t\t: {cpu.get('flags', '')}\nbogomips\t: {cpu.get('bogomips', 0):.2f}\n"
            "clflush size\t: 64\ncache_alignment\t: 64\n"
            "address sizes\t: 38 bits physical, 48 bits virtual\npower management:\n\n")
    return "".join(blocks)
