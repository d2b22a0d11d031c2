"""Command-line parsing for the lab's lvm2 tools: getopt_long-like, with lvm2's messages."""

from __future__ import annotations

from dataclasses import dataclass, field

# Options every lvm2 command takes; value = (canonical name, takes an argument).
COMMON: dict[str, tuple[str, bool]] = {
    "-v": ("verbose", False), "--verbose": ("verbose", False),
    "-d": ("debug", False), "--debug": ("debug", False),
    "-q": ("quiet", False), "--quiet": ("quiet", False),
    "-t": ("test", False), "--test": ("test", False),
    "-y": ("yes", False), "--yes": ("yes", False),
    "-f": ("force", False), "--force": ("force", False),
    "-A": ("autobackup", True), "--autobackup": ("autobackup", True),
    "--driverloaded": ("driverloaded", True), "--config": ("config", True),
    "--nolocking": ("nolocking", False), "--noudevsync": ("noudevsync", False),
    "--commandprofile": ("commandprofile", True), "--devices": ("devices", True),
    "--devicesfile": ("devicesfile", True),
}
REPORT: dict[str, tuple[str, bool]] = {
    "-o": ("options", True), "--options": ("options", True),
    "-O": ("sort", True), "--sort": ("sort", True),
    "--units": ("units", True), "--nosuffix": ("nosuffix", False),
    "--noheadings": ("noheadings", False), "--separator": ("separator", True),
    "--aligned": ("aligned", False), "--nameprefixes": ("nameprefixes", False),
    "--reportformat": ("reportformat", True), "--unbuffered": ("unbuffered", False),
    "-a": ("all", False), "--all": ("all", False), "-S": ("select", True),
    "--select": ("select", True), "--binary": ("binary", False),
    "--rows": ("rows", False), "--unquoted": ("unquoted", False),
}
DISPLAY: dict[str, tuple[str, bool]] = {
    "-c": ("colon", False), "--colon": ("colon", False),
    "-m": ("maps", False), "--maps": ("maps", False),
    "-s": ("short", False), "--short": ("short", False),
    "--units": ("units", True), "-C": ("columns", False), "--columns": ("columns", False),
}


class UsageError(Exception):
    """A command line lvm2 refuses before doing anything (exit 3, no other output)."""

    def __init__(self, message: str, status: int = 3) -> None:
        self.message, self.status = message, status
        super().__init__(message)


def no_syntax(prog: str) -> UsageError:
    """lvm2's refusal of a command line that matches none of ``prog``'s syntaxes."""
    return UsageError(f"  No command with matching syntax recognised.  Run '{prog} --help' for "
                      "more information.")


@dataclass
class Args:
    values: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        vals = self.values.get(name)
        return vals[-1] if vals else default

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def has(self, name: str) -> bool:
        return self.counts.get(name, 0) > 0

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)


def parse(prog: str, argv: list[str], *specs: dict[str, tuple[str, bool]]) -> Args:
    """Parse ``argv`` (without the program name) against ``COMMON`` and ``specs``."""
    spec: dict[str, tuple[str, bool]] = dict(COMMON)
    for s in specs:
        spec.update(s)
    out = Args()

    def add(name: str, value: str | None) -> None:
        out.counts[name] = out.counts.get(name, 0) + 1
        if value is not None:
            out.values.setdefault(name, []).append(value)

    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            out.positional += argv[i:]
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name not in spec:
                raise UsageError(f"{prog}: unrecognized option '{arg}'\n"
                                 "  Error during parsing of command line.")
            canon, takes = spec[name]
            if takes and not eq:
                if i >= len(argv):
                    raise UsageError(f"{prog}: option '{name}' requires an argument\n"
                                     "  Error during parsing of command line.")
                value = argv[i]
                i += 1
            add(canon, value if takes else None)
        elif arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                opt = "-" + arg[j]
                if opt not in spec:
                    raise UsageError(f"{prog}: invalid option -- '{arg[j]}'\n"
                                     "  Error during parsing of command line.")
                canon, takes = spec[opt]
                if takes:
                    value = arg[j + 1:]
                    if not value:
                        if i >= len(argv):
                            raise UsageError(f"{prog}: option requires an argument -- "
                                             f"'{arg[j]}'\n  Error during parsing of command "
                                             "line.")
                        value = argv[i]
                        i += 1
                    add(canon, value)
                    break
                add(canon, None)
                j += 1
        else:
            out.positional.append(arg)
    return out


def yes_no(value: str | None, option: str) -> bool:
    if value is None:
        return True
    if value in ("y", "ay", "yes"):
        return True
    if value in ("n", "an", "no"):
        return False
    raise UsageError(f"  Invalid argument for {option}: {value}\n"
                     "  Error during parsing of command line.")
