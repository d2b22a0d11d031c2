"""Text layouts of the lab's ``xl``/``xm`` listings, from the printf formats in Xen's source,
and the JSON of ``xl list -l``.
"""

from __future__ import annotations

import json
from typing import Any

from fxkit.lab.xen.model import LabDomain, XenModel

# tools/xl/xl_list.c, list_domains(): two literal TABs in the header.
XL_LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
XL_LIST_VERBOSE = "   UUID                            Reason-Code\tSecurity Label"
# xend's xm list header (tools/python/xen/xm/main.py, xm_list).
XM_LIST_HEADER = "Name                                        ID   Mem VCPUs      State   Time(s)"
XL_VCPU_HEADER = ("Name                                ID  VCPU   CPU State   Time(s) "
                  "Affinity (Hard / Soft)")


def xl_list_text(model: XenModel, domains: list[LabDomain], verbose: bool = False) -> str:
    lines = [XL_LIST_HEADER + (XL_LIST_VERBOSE if verbose else "")]
    for d in domains:
        # printf("%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f", ...)
        row = (f"{d.name:<40} {d.domid:5d} {d.memory:5d} {d.vcpus:5d}     {d.state}  "
               f"{model.cpu_seconds(d):8.1f}")
        if verbose:
            row += f" {d.uuid} {'-':>8} {'-':>16}"
        lines.append(row)
    return "\n".join(lines) + "\n"


def xm_list_text(model: XenModel, domains: list[LabDomain]) -> str:
    lines = [XM_LIST_HEADER]
    for d in domains:
        lines.append(f"{d.name:<40} {d.domid:5d} {d.memory:5d} {d.vcpus:5d} {d.state:>10} "
                     f"{model.cpu_seconds(d):8.1f}")
    return "\n".join(lines) + "\n"


def vcpu_list_text(model: XenModel, domains: list[LabDomain]) -> str:
    """``xl vcpu-list`` (tools/xl/xl_vcpu.c print_vcpuinfo)."""
    ncpus = model.host_cpus()
    lines = [XL_VCPU_HEADER]
    for d in domains:
        total = model.cpu_seconds(d)
        for v in range(d.vcpus):
            state = "r--" if d.is_dom0 and v == 0 else "-b-"
            cpu = (d.domid * 3 + v) % ncpus
            lines.append(f"{d.name:<32} {d.domid:5d} {v:5d} {cpu:4d}   {state}  "
                         f"{total / d.vcpus:8.1f}  all / all")
    return "\n".join(lines) + "\n"


def uptime_text(model: XenModel, domains: list[LabDomain]) -> str:
    """``xl uptime`` (tools/xl/xl_misc.c print_uptime, uptime_to_string)."""
    lines = [f"{'Name':<33} {'ID':>4} Uptime"]
    for d in domains:
        up = model.uptime(d)
        day, rest = divmod(up, 86400)
        hour, rest = divmod(rest, 3600)
        minute, sec = divmod(rest, 60)
        clock = f"{hour:2d}:{minute:02d}:{sec:02d}"
        text = f"{day} days, {clock}" if day > 1 else f"1 day, {clock}" if day == 1 else clock
        lines.append(f"{d.name:<33} {d.domid:4d} {text}")
    return "\n".join(lines) + "\n"


def info_fields(model: XenModel, state: Any, tool: str = "xl") -> list[tuple[str, str]]:
    """``xl info`` for fx: the manual's field list with the lab's hardware."""
    hw = dict(getattr(state, "hardware", None) or {})
    cpu = hw.get("cpu", {}) if isinstance(hw.get("cpu"), dict) else {}
    kernel = hw.get("kernel", {}) if isinstance(hw.get("kernel"), dict) else {}
    xl = tool == "xl"
    return [
        ("host", getattr(state, "hostname", "fx")),
        ("release", kernel.get("release", "2.6.18-5-xen-amd64")),
        ("version", kernel.get("version", "#1 SMP Tue Oct 2 20:37:02 UTC 2007")),
        ("machine", kernel.get("machine", "x86_64")),
        ("nr_cpus", str(model.host_cpus())),
        ("nr_nodes", "1"),
        ("cores_per_socket", str(cpu.get("cores_per_socket", 4))),
        ("threads_per_core", str(cpu.get("threads_per_core", 1))),
        ("cpu_mhz", str(int(float(cpu.get("mhz", 2333))))),
        ("hw_caps", "bfebfbff:20100800:00000000:00000140:0004e3bd:00000000:00000001:00000000"),
        ("virt_caps", "hvm"),
        ("total_memory", str(model.total_memory())),
        ("free_memory", str(model.free_memory())),
        ("free_cpus", "0"),
        ("outstanding_claims", "0"),
        ("xen_major", "4" if xl else "3"),
        ("xen_minor", "17" if xl else "0"),
        ("xen_extra", ".3" if xl else ".3-1"),
        ("xen_caps", "xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p "
                     "hvm-3.0-x86_64"),
        ("xen_scheduler", "credit"),
        ("xen_pagesize", "4096"),
        ("platform_params", "virt_start=0xffff800000000000"),
        ("xen_changeset", ""),
        ("xen_commandline", f"dom0_mem={model.domains[0].memory}M"),
        ("cc_compiler", "gcc (Debian 12.2.0-14) 12.2.0" if xl else "gcc version 4.1.2"),
        ("cc_compile_by", "pkg-xen-devel"),
        ("cc_compile_domain", "lists.alioth.debian.org"),
        ("cc_compile_date", "Thu Oct 10 11:00:00 UTC 2024" if xl else "Sat Jun  2 2007"),
        ("xend_config_format", "4"),
    ]


def info_text(model: XenModel, state: Any, tool: str = "xl") -> str:
    # tools/xl/xl_info.c prints "%-23s: %s" lines (the manual's example shows the layout).
    return "".join(f"{k:<23}: {v}\n" for k, v in info_fields(model, state, tool))


def list_long_json(model: XenModel, domains: list[LabDomain]) -> str:
    """``xl list -l``: the shape of libxl_domain_config_gen_json, trimmed to what we hold."""
    out = []
    for d in domains:
        # Xen >= 4.10 keeps kernel, ramdisk and cmdline in b_info itself; "type.pv" holds
        # only their deprecated copies, left unset by xl (tools/libs/light/libxl_types.idl,
        # libxl_domain_build_info; seen on the real lab's Xen 4.17: type.pv has no kernel).
        boot = {key: getattr(d, key) for key in ("kernel", "cmdline", "ramdisk")
                if getattr(d, key)}
        disks = []
        for spec in d.disk_specs():
            disks.append({"pdev_path": spec.path, "vdev": spec.vdev, "backend": "phy",
                          "format": spec.format or "raw", "readwrite": int(spec.writable)})
        nics = [{"devid": v.devid, "mac": v.mac, "bridge": v.bridge,
                 "script": "/etc/xen/scripts/vif-bridge", "nictype": "vif"} for v in d.vifs]
        out.append({"domid": d.domid, "config": {
            "c_info": {"type": "pv", "name": d.name, "uuid": d.uuid},
            "b_info": {"max_vcpus": d.vcpus, "avail_vcpus": list(range(d.vcpus)),
                       "max_memkb": d.memory * 1024, "target_memkb": d.memory * 1024,
                       "sched_params": {}, **boot, "type.pv": {}, "arch_arm": {}},
            "disks": disks, "nics": nics, "on_reboot": "restart"}})
    return json.dumps(out, indent=4) + "\n"
