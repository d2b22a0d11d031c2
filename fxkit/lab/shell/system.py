"""System commands of the lab: uname hostname free nproc date sleep id echo env bash -c ...

Facts come from ``state.hardware`` (scenario host.json); times from the logical
clock. ``free`` prints procps-ng 4's layout (Debian 12, like the lvm2 fixtures).
"""

from __future__ import annotations

import math
import re

from fxkit.lab.shell.base import CWD, ENV, HOME, Call, Output, absolute, strftime
from fxkit.lab.shell.files import kind
from fxkit.lab.shell.hardware import cpu_count, kernel, meminfo


def _try(tool: str, what: str) -> Output:
    return 1, "", f"{tool}: {what}\nTry '{tool} --help' for more information.\n"


def true(call: Call) -> Output:
    return 0, "", ""


def false(call: Call) -> Output:
    return 1, "", ""


def uname(call: Call) -> Output:
    k = kernel(call.state)
    fields = {"s": k["sysname"], "n": call.state.hostname, "r": k["release"],
              "v": k["version"], "m": k["machine"], "p": "unknown", "i": "unknown",
              "o": k["os"]}
    long = {"--kernel-name": "s", "--nodename": "n", "--kernel-release": "r",
            "--kernel-version": "v", "--machine": "m", "--processor": "p",
            "--hardware-platform": "i", "--operating-system": "o"}
    wanted: set[str] = set()
    for arg in call.args:
        if arg in ("-a", "--all"):
            wanted.update("snrvmo")  # -a leaves out -p and -i when they are "unknown"
        elif arg in long:
            wanted.add(long[arg])
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            for ch in arg[1:]:
                if ch == "a":
                    wanted.update("snrvmo")
                elif ch in fields:
                    wanted.add(ch)
                else:
                    return _try("uname", f"invalid option -- '{ch}'")
        elif arg.startswith("--"):
            return _try("uname", f"unrecognized option '{arg}'")
        else:
            return _try("uname", f"extra operand '{arg}'")
    order = "snrvmpio"
    return 0, " ".join(fields[c] for c in order if c in (wanted or {"s"})) + "\n", ""


def hostname(call: Call) -> Output:
    args = call.args
    if not args or args in (["-s"], ["--short"], ["-f"], ["--fqdn"], ["--long"]):
        name = call.state.hostname
        return 0, (name.split(".")[0] if args[:1] in (["-s"], ["--short"]) else name) + "\n", ""
    if args in (["-i"], ["--ip-address"]):
        return 0, "127.0.1.1\n", ""
    if len(args) == 1 and not args[0].startswith("-"):
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,62})", args[0]):
            return 1, "", "hostname: the specified hostname is invalid\n"
        call.state.hostname = args[0]
        call.state.tick()
        return 0, "", ""
    return 1, "", f"hostname: invalid option -- '{args[0].lstrip('-')[:1]}'\n"


def nproc(call: Call) -> Output:
    for arg in call.args:
        if arg not in ("--all",):
            return _try("nproc", f"unrecognized option '{arg}'" if arg.startswith("--")
                        else f"extra operand '{arg}'")
    return 0, f"{cpu_count(call.state)}\n", ""


def _scale(kib: int, unit: str) -> str:
    """procps-ng's scale_size: fixed units truncate; -h tries "%.1f" then "%ld" in 5 chars."""
    b = kib * 1024
    if unit != "h":
        return str(b // 1024 ** "bkmgtp".index(unit))
    if len(f"{b}B") <= 4:
        return f"{b}B"
    for i, suffix in enumerate("KMGTP", start=1):
        value = b / 1024 ** i
        for text in (f"{value:.1f}{suffix}i", f"{int(value)}{suffix}i"):
            if len(text) <= 5:
                return text
    return f"{b}B"


def free(call: Call) -> Output:
    unit, total_line = "k", False
    units = {"-b": "b", "--bytes": "b", "-k": "k", "--kibi": "k", "-m": "m", "--mebi": "m",
             "-g": "g", "--gibi": "g", "-h": "h", "--human": "h"}
    for arg in call.args:
        if arg in units:
            unit = units[arg]
        elif arg in ("-t", "--total"):
            total_line = True
        elif arg.startswith("--"):
            return _try("free", f"unrecognized option '{arg}'")
        else:
            return _try("free", f"invalid option -- '{arg.lstrip('-')[:1]}'")
    m = meminfo(call.state)
    cache = m["Buffers"] + m["Cached"] + m["SReclaimable"]
    used = m["MemTotal"] - m["MemFree"] - cache
    swap_used = m["SwapTotal"] - m["SwapFree"]

    def row(label: str, *values: int) -> str:
        return f"{label:<8}" + "".join(f" {_scale(v, unit):>11}" for v in values) + "\n"

    out = ("               total        used        free      shared  buff/cache   available\n"
           + row("Mem:", m["MemTotal"], used, m["MemFree"], m["Shmem"], cache,
                 m["MemAvailable"])
           + row("Swap:", m["SwapTotal"], swap_used, m["SwapFree"]))
    if total_line:
        out += row("Total:", m["MemTotal"] + m["SwapTotal"], used + swap_used,
                   m["MemFree"] + m["SwapFree"])
    return 0, out, ""


def echo(call: Call) -> Output:
    args, newline, escapes = call.args, True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for ch in args[0][1:]:
            newline = newline and ch != "n"
            escapes = (escapes or ch == "e") and ch != "E"
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = re.sub(r"\\([ntr\\])", lambda m: {"n": "\n", "t": "\t", "r": "\r",
                                                  "\\": "\\"}[m.group(1)], text)
    return 0, text + ("\n" if newline else ""), ""


def id_(call: Call) -> Output:
    answers = {(): "uid=0(root) gid=0(root) groups=0(root)", ("-u",): "0", ("-g",): "0",
               ("-G",): "0", ("-un",): "root", ("-u", "-n"): "root", ("-gn",): "root",
               ("-nu",): "root", ("root",): "uid=0(root) gid=0(root) groups=0(root)"}
    key = tuple(call.args)
    if key in answers:
        return 0, answers[key] + "\n", ""
    if len(key) == 1 and not key[0].startswith("-"):
        return 1, "", f"id: '{key[0]}': no such user\n"
    return _try("id", f"invalid option -- '{key[0].lstrip('-')[:1]}'")


def whoami(call: Call) -> Output:
    return 0, "root\n", ""


def pwd(call: Call) -> Output:
    return 0, CWD.get() + "\n", ""


def cd(call: Call) -> Output:
    """Changes the directory for the rest of this command line (or interactive session)."""
    if len(call.args) > 1:
        return 1, "", "bash: cd: too many arguments\n"
    target = call.args[0] if call.args else HOME
    path = absolute(target)
    k = kind(call.state, path)
    if k != "dir":
        why = "No such file or directory" if k is None else "Not a directory"
        return 1, "", f"bash: cd: {target}: {why}\n"
    CWD.set(path)
    return 0, "", ""


def date(call: Call) -> Output:
    now = call.state.now()
    fmt = "%a %b %e %H:%M:%S %Z %Y"
    for arg in call.args:
        if arg in ("-u", "--utc", "--universal"):
            continue
        if arg in ("-R", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S +0000"
        elif arg in ("-I", "--iso-8601"):
            fmt = "%Y-%m-%d"
        elif arg.startswith("+"):
            fmt = arg[1:]
        elif arg.startswith("--"):
            return _try("date", f"unrecognized option '{arg}'")
        elif arg.startswith("-"):
            return _try("date", f"invalid option -- '{arg[1:2]}'")
        else:
            return 1, "", f"date: invalid date '{arg}'\n"
    return 0, strftime(now, fmt) + "\n", ""


def sleep(call: Call) -> Output:
    """Logical: the clock jumps, nothing waits (a ``delay`` fault makes it wait)."""
    if not call.args:
        return _try("sleep", "missing operand")
    total = 0.0
    for arg in call.args:
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not m:
            return _try("sleep", f"invalid time interval '{arg}'")
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    call.state.tick(math.ceil(total))
    return 0, "", ""


def env(call: Call) -> Output:
    args, extra = call.args, dict(call.env)
    while args and args[0] in ("-i", "--ignore-environment", "--"):
        args = args[1:]
    while args and "=" in args[0] and args[0].split("=", 1)[0].isidentifier():
        name, value = args[0].split("=", 1)
        extra[name] = value
        args = args[1:]
    if not args:
        merged = {**ENV, **extra}
        return 0, "".join(f"{k}={v}\n" for k, v in sorted(merged.items())), ""
    status, out, err = call.run(args, call.stdin, extra)
    if status == 127 and err.startswith("bash: "):
        return 127, out, f"env: '{args[0]}': No such file or directory\n"
    return status, out, err


def bash(call: Call) -> Output:
    """``bash -c LINE`` and ``bash`` reading a script on stdin, in the lab's shell subset."""
    args = call.args
    if args[:1] == ["-c"]:
        if len(args) < 2:
            return 2, "", f"{call.argv[0]}: -c: option requires an argument\n"
        return call.run_script(args[1], call.stdin)
    if args:
        return 127, "", f"{call.argv[0]}: {args[0]}: No such file or directory\n"
    return call.run_script(call.stdin, "")


_BIN = {"cat", "ls", "mkdir", "mv", "rm", "cp", "touch", "mktemp", "echo", "date", "sleep",
        "uname", "hostname", "true", "false", "pwd", "tee", "grep", "egrep", "fgrep", "bash",
        "sh", "id", "whoami", "head", "tail", "wc", "sort", "env", "free", "nproc", "uptime",
        "which", "test", "["}


def which(call: Call) -> Output:
    """Where a lab command lives: /bin for coreutils-like ones, /sbin for the admin tools."""
    out, status = [], 0
    for name in (a for a in call.args if not a.startswith("-")):
        if name in call.commands and name not in ("cd", ":"):
            where = "/usr/bin" if name in _BIN else "/usr/sbin"
            out.append(f"{'/bin' if name in ('bash', 'sh') else where}/{name}\n")
        else:
            status = 1
    return status, "".join(out), ""


def uptime(call: Call) -> Output:
    """procps' uptime; the host came up a day before the lab's epoch."""
    up = call.state.clock + 86400
    days, rest = divmod(up, 86400)
    hours, minutes = divmod(rest // 60, 60)
    since = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    since += f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min"
    now = strftime(call.state.now(), "%H:%M:%S")
    return 0, f" {now} up {since},  1 user,  load average: 0.00, 0.00, 0.00\n", ""
