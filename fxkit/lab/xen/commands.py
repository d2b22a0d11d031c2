"""The lab's ``xl`` and ``xm``: list, create, shutdown, reboot, destroy, info, vcpu-list, console.

Output layouts are the printf formats of Xen's ``tools/xl`` (``xl_list.c``
list_domains: the header has two literal TABs; ``xl_info.c``; ``xl_vcpu.c``)
and xend's ``xm list`` (``tools/python/xen/xm/main.py``). Error texts are
xl's: ``find_domain`` in ``tools/xl/xl_utils.c`` prints
``NAME is an invalid domain identifier (rc=-6)`` and exits 1; ``xl list NAME``
prints ``Error: Domain 'NAME' does not exist.``.
"""

from __future__ import annotations

from fxkit.errors import LabError, ParseError
from fxkit.lab.shell.base import Call, Output
from fxkit.lab.xen.model import XenModel
from fxkit.lab.xen.text import (
    info_text,
    list_long_json,
    uptime_text,
    vcpu_list_text,
    xl_list_text,
    xm_list_text,
)
from fxkit.xen.config import DomainConfig

_XL_USAGE = ("Usage xl [-vfNtT] <subcommand> [args]\n\n"
             "xl full list of subcommands: see `xl help` on a real host; the lab knows:\n"
             " list create shutdown reboot destroy info vcpu-list console uptime domid domname\n")
ERROR_INVAL = -6   # libxl's ERROR_INVAL, what name lookups return for an unknown domain


def xl(call: Call) -> Output:
    tool = call.argv[0]
    args = list(call.args)
    while args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
        args.pop(0)                       # global options: -v -f -N -t -T
    if not args or args[0] in ("-h", "--help", "help"):
        return (0 if args else 1), (_XL_USAGE if args else ""), ("" if args else _XL_USAGE)
    sub, rest = args[0], args[1:]
    model: XenModel = call.state.xen
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        if tool == "xm":
            return 1, "", f"Error: Subcommand {sub} not found!\n"
        return 1, "", "command not implemented\n"
    return handler(tool, model, rest, call)


def _unknown(tool: str, name: str) -> Output:
    if tool == "xm":
        return 1, "", f"Error: Domain '{name}' does not exist.\n"
    return 1, "", f"{name} is an invalid domain identifier (rc={ERROR_INVAL})\n"


def _split(rest: list[str], flags: str) -> tuple[set[str], list[str]]:
    opts: set[str] = set()
    words: list[str] = []
    for arg in rest:
        if arg.startswith("--"):
            opts.add(arg)
        elif arg.startswith("-") and len(arg) > 1:
            opts.update(arg[1:])
        else:
            words.append(arg)
    return opts, words


def _list(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    opts, names = _split(rest, "lv")
    domains = model.domains
    if names:
        found = []
        for name in names:
            dom = model.find(name)
            if dom is None:
                return 1, "", f"Error: Domain '{name}' does not exist.\n"
            found.append(dom)
        domains = found
    if "l" in opts or "--long" in opts:
        if tool == "xm":
            return 1, "", "lab: `xm list -l` (xend's SXP) is not simulated; use `xl list -l`\n"
        return 0, list_long_json(model, [d for d in domains if not d.is_dom0]), ""
    if tool == "xm":
        return 0, xm_list_text(model, domains), ""
    return 0, xl_list_text(model, domains, verbose="v" in opts or "--verbose" in opts), ""


def _create(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    opts, words = _split(rest, "cqnfpFV")
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
    try:
        config = DomainConfig.parse(text, path)
        for extra in overrides:
            for key, value in DomainConfig.parse(extra).settings.items():
                config.set(key, value)
        disks, vifs = config.disks, config.vifs
    except ParseError as e:
        return 1, "", (f"{path}: config parsing error: {e}\n"
                       "Failed to parse config: Invalid argument\n")
    head = f"Parsing config from {path}\n"
    name = config.name
    if not name:
        return 1, "", head + "Domain name must be specified.\n"
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
        if not _has_bridge(call, vif.bridge_or_default):
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


def _shutdown(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    opts, words = _split(rest, "waFH")
    if "a" in opts and not words:                 # every domU
        domus = [d for d in model.domains if not d.is_dom0]
        for d in domus:
            model.stop(d)
        if tool == "xm":
            return 0, "", ""
        err = "".join(f"Shutting down domain {d.domid}\n" for d in domus)
        if "w" in opts:     # xl's LOG(), stderr like the rest (seen on the real Xen 4.17)
            return 0, "", err + f"Waiting for {len(domus)} domains\n" + "".join(
                f"Domain {d.domid} has been shut down, reason code 0\n" for d in domus)
        return 0, "", err
    if not words:
        return 1, "", f"{tool} shutdown: give a domain name or id\n"
    dom = model.find(words[0])
    if dom is None:
        return _unknown(tool, words[0])
    if dom.is_dom0:
        return 1, "", "libxl: error: cannot shut down Domain-0 from the toolstack; use " \
                      "`shutdown -h now` on the host\n"
    domid = dom.domid
    model.stop(dom)
    if tool == "xm":
        return 0, "", ""
    err = f"Shutting down domain {domid}\n"
    if "w" in opts:
        return 0, "", (err + "Waiting for 1 domains\n"
                       f"Domain {domid} has been shut down, reason code 0\n")
    return 0, "", err


def _reboot(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    _, words = _split(rest, "waFH")
    if not words:
        return 1, "", f"{tool} reboot: give a domain name or id\n"
    dom = model.find(words[0])
    if dom is None:
        return _unknown(tool, words[0])
    domid = dom.domid
    model.reboot(dom)
    return 0, "", "" if tool == "xm" else f"Rebooting domain {domid}\n"


def _destroy(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    _, words = _split(rest, "f")
    if not words:
        return 1, "", f"{tool} destroy: give a domain name or id\n"
    dom = model.find(words[0])
    if dom is None:
        return _unknown(tool, words[0])
    if dom.is_dom0:
        return 1, "", "Cannot destroy privileged domain 0.\n"
    model.stop(dom, clean=False)
    return 0, "", ""


def _info(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    return 0, info_text(model, call.state, tool), ""


def _vcpu_list(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    _, names = _split(rest, "")
    domains = model.domains
    if names:
        domains = [d for d in (model.find(n) for n in names) if d is not None]
        if not domains:
            return _unknown(tool, names[0])
    return 0, vcpu_list_text(model, domains), ""


def _uptime(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    _, names = _split(rest, "s")
    domains = model.domains
    if names:
        found = [model.find(n) for n in names]
        if None in found:
            return _unknown(tool, names[found.index(None)])
        domains = [d for d in found if d is not None]
    return 0, uptime_text(model, domains), ""


def _console(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    opts, words = _split(rest, "tn")
    for flag in ("t", "n"):                    # -t pv|serial and -n NUM take a value
        if flag in opts and len(words) > 1:
            words = words[1:]
    if not words:
        return 1, "", f"{tool} console: give a domain name or id\n"
    dom = model.find(words[0])
    if dom is None:
        return _unknown(tool, words[0])
    return 0, "\n".join(dom.console) + "\n", ""


def _domid(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    # xen tools/xl/xl_misc.c main_domid: a name only (libxl_name_to_domid), "%u\n".
    _, words = _split(rest, "")
    if not words:
        return 1, "", f"{tool} domid: give a domain name\n"
    dom = next((d for d in model.domains if d.name == words[0]), None)
    if dom is None:
        return 1, "", (f"Can't get domid of domain name '{words[0]}', maybe this domain "
                       "does not exist.\n")
    return 0, f"{dom.domid}\n", ""


def _domname(tool: str, model: XenModel, rest: list[str], call: Call) -> Output:
    # xen tools/xl/xl_misc.c main_domname: strtol(3) of the id, then libxl_domid_to_name.
    _, words = _split(rest, "")
    if not words:
        return 1, "", f"{tool} domname: give a domain id\n"
    digits = len(words[0]) - len(words[0].lstrip("0123456789"))
    domid = int(words[0][:digits]) if digits else 0
    if not digits:
        return 1, "", "Invalid domain id.\n\n"
    dom = next((d for d in model.domains if d.domid == domid), None)
    if dom is None:
        return 1, "", (f"Can't get domain name of domain id '{domid}', maybe this domain "
                       "does not exist.\n")
    return 0, f"{dom.name}\n", ""


def _resolve(call: Call, path: str) -> object | None:
    """The LV or lab file a disk line names, or None (a path xl would fail to stat)."""
    found = call.state.lvm.resolve(path)
    if found is not None:
        return found
    return path if call.state.read(path) is not None else None


def _has_bridge(call: Call, name: str) -> bool:
    return bool(call.state.net.has_bridge(name))


_SUBCOMMANDS = {
    "list": _list, "create": _create, "shutdown": _shutdown, "reboot": _reboot,
    "destroy": _destroy, "info": _info, "vcpu-list": _vcpu_list, "console": _console,
    "uptime": _uptime, "domid": _domid, "domname": _domname,
}
