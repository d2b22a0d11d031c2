"""The lab's ``xl create`` / ``xm create``: parse the config as xl does, then build the domain.

The order and texts are Xen 4.17's (``create_domain`` in ``tools/xl/xl_vmcontrol.c``,
``parse_config_data`` in ``tools/xl/xl_parse.c``): "Parsing config from PATH" on stderr,
then the name, the disks (libxlu's DISKSPEC scanner: any error exits 1), the vifs (most
mistakes only printed, a bad ``rate``, ``devid`` or ``mtu`` exits 1), then the build,
whose failures exit 3 (libxl's ERROR_FAIL, negated). ``-n`` (dry run) stops after the
parse: real xl prints the whole libxl domain config as JSON; the lab prints the part it
models (``c_info``, ``b_info`` memory, ``disks``, ``nics``), in libxl's field names.
The disk and vif rules are ``fxkit.xen.specs``', where the Xen sources are cited.
"""

from __future__ import annotations

import json
from typing import Any

from fxkit.errors import LabError, ParseError
from fxkit.lab.shell.base import Call, Output
from fxkit.lab.xen.model import XenModel
from fxkit.xen.config import DomainConfig
from fxkit.xen.specs import DiskSpec, SpecError, VifSpec


def create(tool: str, model: XenModel, opts: set[str], words: list[str], call: Call) -> Output:
    if "c" in opts:
        return 1, "", (f"lab: `{tool} create -c` would attach you to the guest's console, which "
                       "the lab cannot do interactively. Run `{0} create CONFIG`, then "
                       "`{0} console NAME` to read its boot messages.\n".format(tool))
    if not words:
        return 1, "", (f"{tool} create: give the config file, e.g. "
                       f"{tool} create /etc/xen/NAME.cfg\n")
    path, overrides = words[0], words[1:]
    if not path.startswith("/"):
        path = "/etc/xen/" + path if call.state.read("/etc/xen/" + path) is not None else path
    # xl's create_domain returns libxl's ERROR_FAIL (-3) for whatever fails once the config
    # is parsed, and main_create exits with -rc (xen tools/xl/xl_vmcontrol.c); parse errors
    # exit(1) inside parse_config_data. xm is Python and exits 1.
    fail = 1 if tool == "xm" else 3
    text = call.state.read(path)
    if text is None:
        return fail, "", f"Failed to read config file: {path}: No such file or directory\n"
    head = "" if tool == "xm" else f"Parsing config from {path}\n"
    try:
        config = DomainConfig.parse(text, path)
        for extra in overrides:
            for key, value in DomainConfig.parse(extra).settings.items():
                config.set(key, value)
    except ParseError as e:
        return 1, "", (f"{head}{path}: config parsing error: {e}\n"
                       "Failed to parse config: Invalid argument\n")
    name = config.name
    if not name:
        return 1, "", head + "Domain name must be specified.\n"
    parsed = _devices(tool, config, path)
    if isinstance(parsed, str):
        return 1, "", head + parsed
    disks, vifs, warnings = parsed
    head += warnings
    if "n" in opts:
        return 0, _dry_run_json(config, disks, vifs), head
    return _build(tool, model, config, path, disks, vifs, call, head, fail)


def _devices(tool: str, config: DomainConfig, path: str) -> tuple[list[DiskSpec],
                                                                    list[VifSpec], str] | str:
    """The disks, the vifs and what xl printed about them; or xl's last words (a str)."""
    disks, vifs, printed = [], [], ""
    for spec in _strings(config, "disk"):
        try:
            disks.append(DiskSpec.parse(spec))
        except SpecError as e:
            return "".join(_refusal(tool, path, line) for line in e.lines)
    for spec in _strings(config, "vif"):
        try:
            vif = VifSpec.parse(spec)
        except SpecError as e:
            return printed + "".join(_refusal(tool, path, line) for line in e.lines)
        printed += "".join(f"{w}\n" for w in vif.warnings)
        vifs.append(vif)
    return disks, vifs, printed


def _refusal(tool: str, path: str, line: str) -> str:
    if line.startswith("xl: ") or tool == "xm":       # parse_ulong's, or xend's
        return f"{'Error: ' if tool == 'xm' else ''}{line}\n"
    return f"{path}: {line}\n"


def _strings(config: DomainConfig, key: str) -> list[str]:
    value = config.get(key)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _dry_run_json(config: DomainConfig, disks: list[DiskSpec], vifs: list[VifSpec]) -> str:
    memkb = int(config.memory or 128) * 1024
    nics: list[dict[str, Any]] = []
    for devid, vif in enumerate(vifs):
        nic: dict[str, Any] = {"devid": devid}
        for key, value in (("mac", vif.mac_address), ("bridge", vif.bridge)):
            if value is not None:
                nic[key] = value
        if vif.rate_limit is not None:
            nic["rate_bytes_per_interval"], nic["rate_interval_usecs"] = vif.rate_limit
        nics.append(nic)
    out = {"c_info": {"type": "pv", "name": config.name},
           "b_info": {"max_memkb": memkb, "target_memkb": memkb},
           "disks": [{k: v for k, v in (("pdev_path", d.target), ("vdev", d.vdev),
                                        ("format", _format(d)),
                                        ("readwrite", int(d.writable)),
                                        ("is_cdrom", int(d.devtype == "cdrom")))
                      if v is not None} for d in disks],
           "nics": nics}
    return json.dumps(out, indent=4) + "\n"


def _format(disk: DiskSpec) -> str:
    """libxl's format after xlu_disk_parse: raw unless given; an empty cdrom drive "empty"."""
    if disk.devtype == "cdrom" and not disk.target:
        return "empty"
    return disk.format or "raw"


def _build(tool: str, model: XenModel, config: DomainConfig, path: str,
           disks: list[DiskSpec], vifs: list[VifSpec], call: Call, head: str,
           fail: int) -> Output:
    name = config.name or ""
    if model.find(name) is not None:
        # As Xen 4.17's xl answers on the real lab: libxl creates the domain (using up the
        # next domid), fails to give it the taken name, destroys it; xl exits with 3.
        dying = model.allocate_domid()
        lines = (("libxl_domain.c:81:libxl__domain_rename",
                  f'Domain with name "{name}" already exists.'),
                 ("libxl_create.c:1296:initiate_domain_create", "cannot make domain: -6"),
                 ("libxl_domain.c:1183:libxl__destroy_domid", "Non-existant domain"),
                 ("libxl_domain.c:1137:domain_destroy_callback", "Unable to destroy guest"),
                 ("libxl_domain.c:1064:domain_destroy_cb", "Destruction of domain failed"))
        return fail, "", head + "".join(f"libxl: error: {where}: Domain {dying}:{what}\n"
                                        for where, what in lines)
    for disk in disks:
        if disk.path and _resolve(call, disk.path) is None:
            return fail, "", head + (
                f"libxl: error: libxl_device.c:397:libxl__device_disk_set_backend: Disk "
                f"vdev={disk.vdev} failed to stat: {disk.path}: No such file or directory\n"
                f"libxl: error: libxl_create.c:1290:domcreate_launch_dm: unable to add disk "
                f"devices\n")
    for kind, file in (("kernel", config.kernel), ("ramdisk", config.ramdisk)):
        if file and call.state.read(file) is None:
            # the domain builder cannot open the image (libxc xc_dom_core.c, xl's wording
            # shortened): the guest is never built
            return fail, "", head + (
                f"xc: error: panic: xc_dom_core.c:208: failed to open file '{file}': No such "
                "file or directory: Internal error\n"
                f"libxl: error: libxl_dom.c:574:libxl__build_dom: xc_dom_{kind}_file failed: "
                "No such file or directory\n"
                "libxl: error: libxl_create.c:1640:domcreate_rebuild_done: cannot (re-)build "
                "domain: -3\n")
    for vif in vifs:
        if not call.state.net.has_bridge(vif.bridge_or_default):
            return fail, "", head + (
                "libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: "
                f"/etc/xen/scripts/vif-bridge online [-1] exited with error status 1\n"
                "libxl: error: libxl_device.c:1286:device_hotplug_child_death_cb: script: "
                f"Could not find bridge device {vif.bridge_or_default}\n"
                "libxl: error: libxl_create.c:1864:domcreate_attach_devices: unable to add "
                "nic devices\n")
    if int(config.memory or 128) > model.free_memory():
        return fail, "", head + "failed to free memory for the domain\n"
    try:
        dom = model.start(config, path)
    except LabError as e:
        return fail, "", head + f"libxl: error: {e}\n"
    if tool == "xm":
        return 0, f'Using config file "{path}".\nStarted domain {dom.name} (id={dom.domid})\n', ""
    return 0, "", head


def _resolve(call: Call, path: str) -> object | None:
    """The LV or lab file a disk line names, or None (a path xl would fail to stat)."""
    found = call.state.lvm.resolve(path)
    if found is not None:
        return found
    return path if call.state.read(path) is not None else None
