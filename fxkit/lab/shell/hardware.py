"""The lab host's hardware facts (scenario host.json ``hardware``) and the /proc files they make.

``hardware`` keys: ``cpu`` (vendor_id, family, model, model_name, stepping, mhz,
cache_kb, bogomips, sockets, cores_per_socket, threads_per_core, cpuid_level,
flags), ``memory`` (total_mib, meminfo_kib: /proc/meminfo fields in kB),
``kernel`` (sysname, release, version, machine, os) and ``disks``.
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


def meminfo(state: LabState) -> dict[str, int]:
    mem = state.hardware.get("memory", {})
    info = dict(mem.get("meminfo_kib", {}))
    total = info.setdefault("MemTotal", int(mem.get("total_mib", 1024)) * 1024)
    for key, default in (("MemFree", total // 2), ("Buffers", 0), ("Cached", 0), ("Shmem", 0),
                         ("SReclaimable", 0), ("SwapTotal", 0)):
        info.setdefault(key, default)
    info.setdefault("SwapFree", info["SwapTotal"])
    info.setdefault("MemAvailable", info["MemFree"] + info["Cached"] + info["Buffers"])
    return info


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
