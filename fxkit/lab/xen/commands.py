"""The lab's ``xl`` and ``xm``: list, create, shutdown, reboot, destroy, info, vcpu-list, console.

``create`` is ``fxkit.lab.xen.create``'s. A real xl subcommand the lab does not simulate
(``mem-set``, ``pause``, ``network-list``...) answers with what to use instead
(``NOT_SIMULATED``); a word xl does not know answers xl's "command not implemented".

Output layouts are the printf formats of Xen's ``tools/xl`` (``xl_list.c``
list_domains: the header has two literal TABs; ``xl_info.c``; ``xl_vcpu.c``)
and xend's ``xm list`` (``tools/python/xen/xm/main.py``). Error texts are
xl's: ``find_domain`` in ``tools/xl/xl_utils.c`` prints
``NAME is an invalid domain identifier (rc=-6)`` and exits 1; ``xl list NAME``
prints ``Error: Domain 'NAME' does not exist.``.
"""

from __future__ import annotations

from fxkit.lab.shell.base import Call, Output
from fxkit.lab.xen.create import create
from fxkit.lab.xen.model import XenModel
from fxkit.lab.xen.text import (
    info_text,
    list_long_json,
    uptime_text,
    vcpu_list_text,
    xl_list_text,
    xm_list_text,
)

_KNOWN = "list create shutdown reboot destroy info vcpu-list console uptime domid domname"
_XL_USAGE = ("Usage xl [-vfNtT] <subcommand> [args]\n\n"
             "xl full list of subcommands: see `xl help` on a real host; the lab knows:\n"
             f" {_KNOWN}\n")
ERROR_INVAL = -6   # libxl's ERROR_INVAL, what name lookups return for an unknown domain
_RESTART = ("change it in /etc/xen/NAME.cfg, then restart the domain: `xl shutdown -w NAME`, "
            "`xl create /etc/xen/NAME.cfg`")
# Real xl subcommands (tools/xl/xl_cmdtable.c) the lab does not simulate, with what to use.
NOT_SIMULATED = {
    "mem-set": "the lab does not change a running domain's memory: " + _RESTART,
    "mem-max": "the lab does not change a running domain's memory: " + _RESTART,
    "vcpu-set": "the lab does not change a running domain's vcpus: " + _RESTART,
    "vcpu-pin": "the lab does not pin vcpus; `xl vcpu-list` shows where they run",
    "pause": "the lab does not pause domains; `xl shutdown -w NAME` stops one cleanly and "
             "`xl create /etc/xen/NAME.cfg` starts it again",
    "unpause": "the lab does not pause domains, so none needs unpausing; `xl list` shows "
               "their states",
    "network-list": "`xl list -l NAME` shows the domain's vifs (\"nics\"), `brctl show` the "
                    "bridge each one is plugged into",
    "network-attach": "the lab plugs vifs in at `xl create` only: add a vif line to "
                      "/etc/xen/NAME.cfg and restart the domain",
    "network-detach": "the lab unplugs vifs at shutdown only: remove the vif line from "
                      "/etc/xen/NAME.cfg and restart the domain",
    "block-list": "`xl list -l NAME` shows the domain's disks (\"disks\"), `lvs` the LVs "
                  "behind them",
    "block-attach": "the lab attaches disks at `xl create` only: add a disk line to "
                    "/etc/xen/NAME.cfg and restart the domain",
    "block-detach": "the lab detaches disks at shutdown only: remove the disk line from "
                    "/etc/xen/NAME.cfg and restart the domain",
    "dmesg": "the lab keeps no hypervisor log; `xl info` shows Xen's version and memory, "
             "`xl console NAME` a guest's boot messages",
    "top": "`xl list` and `xl vcpu-list` show each domain's state and CPU time",
    "save": "the lab does not save domains; `xl shutdown -w NAME` stops one cleanly",
    "restore": "the lab does not save domains; `xl create /etc/xen/NAME.cfg` starts one",
    "migrate": "the lab is one host; `xl shutdown -w NAME` stops a domain cleanly",
    "rename": "change name= in /etc/xen/NAME.cfg and restart the domain",
    "sysrq": "`xl shutdown NAME`, `xl reboot NAME` or `xl destroy NAME`",
    "trigger": "`xl shutdown NAME`, `xl reboot NAME` or `xl destroy NAME`",
    "vm-list": "`xl list` lists the domains", "claims": "`xl info` shows the free memory",
    "sched-credit": "`xl vcpu-list` shows where the vcpus run",
    "sched-credit2": "`xl vcpu-list` shows where the vcpus run",
    "cpupool-list": "`xl info` shows the CPUs", "pci-list": "the lab has no PCI passthrough",
    "config-update": _RESTART[0].upper() + _RESTART[1:],
}


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
        return _not_simulated(tool, sub)
    return handler(tool, model, rest, call)


def _not_simulated(tool: str, sub: str) -> Output:
    """xl's answer to a subcommand it lacks, or the lab's for a real one it does not model."""
    hint = NOT_SIMULATED.get(sub)
    if hint is None:
        if tool == "xm":
            return 1, "", f"Error: Subcommand {sub} not found!\n"
        return 1, "", "command not implemented\n"
    return 1, "", (f"lab: `{tool} {sub}` is not simulated. Instead: {hint}.\n"
                   f"The lab's {tool} knows: {_KNOWN}.\n")


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
    return create(tool, model, opts, words, call)


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


_SUBCOMMANDS = {
    "list": _list, "create": _create, "shutdown": _shutdown, "reboot": _reboot,
    "destroy": _destroy, "info": _info, "vcpu-list": _vcpu_list, "console": _console,
    "uptime": _uptime, "domid": _domid, "domname": _domname,
}
