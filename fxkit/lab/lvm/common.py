"""What the lab's lvm2 tools share: exit statuses, ``Failed``, the ``lvm_command`` wrapper,
and the LV references and names every LV command reads.

Exit statuses are lvm2's: 5 (ECMD_FAILED) for a refusal after parsing, 3
(EINVALID_CMD_LINE) for a command line it does not accept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from fxkit.lab.lvm.args import Args, UsageError
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.volumes import VolumeGroup
from fxkit.lab.shell.base import Call, Output
from fxkit.lvm.names import RESERVED_LV_PREFIXES, RESERVED_LV_STRINGS, name_problem, split_dm_name

FAILED, USAGE = 5, 3


class Failed(Exception):
    """A refusal after parsing: the lines go to stderr, exit 5 unless said otherwise."""

    def __init__(self, *lines: str, status: int = FAILED, stdout: str = "") -> None:
        self.lines, self.status, self.stdout = lines, status, stdout
        super().__init__("\n".join(lines))


Body = Callable[[Call, Args], "str | tuple[str, str]"]


def lvm_command(fn: Body) -> Callable[[Call], Output]:
    """A handler from a function taking (call, args) and returning stdout or (stdout, stderr).

    Refusals raise ``Failed`` or ``UsageError`` and become lvm2's exit status and lines.
    """
    @wraps(fn)
    def handler(call: Call) -> Output:
        try:
            out = fn(call, Args(positional=list(call.args)))
            return (0, out, "") if isinstance(out, str) else (0, *out)
        except UsageError as e:
            return e.status, "", e.message + "\n"
        except Failed as e:
            return e.status, e.stdout, "".join(f"  {line}\n" for line in e.lines)
    return handler


def model(call: Call) -> LvmModel:
    """The LVM section of the call's state."""
    return call.state.lvm


def lines(*text: str) -> str:
    """lvm2's message lines: each indented by two spaces."""
    return "".join(f"  {t}\n" for t in text)


def vg_or_fail(m: LvmModel, name: str) -> VolumeGroup:
    """The VG called ``name``, or lvm2's refusal for a VG it cannot find."""
    vg = m.vg(name)
    if vg is None:
        raise Failed(f'Volume group "{name}" not found', f"Cannot process volume group {name}")
    return vg


def changed(call: Call, vg: VolumeGroup) -> None:
    """Record a metadata change of ``vg``: its sequence number and the clock move on."""
    vg.seqno += 1
    call.state.tick()


def split_ref(text: str) -> tuple[str, str]:
    """(VG, LV) of ``vg/lv``, ``/dev/vg/lv`` or ``/dev/mapper/vg-lv`` (LV "" if absent)."""
    ref = text[len("/dev/"):] if text.startswith("/dev/") else text
    if ref.startswith("mapper/"):
        vg, lv, _ = split_dm_name(ref[len("mapper/"):])
        return vg, lv
    vg, _, lv = ref.partition("/")
    return vg, lv


def lv_name_errors(prog: str, name: str, *, check_valid: bool = True) -> None:
    """Refuse an invalid or reserved new LV name as ``prog`` does (exit 3)."""
    if check_valid and name_problem(name):
        raise Failed(f'Logical volume name "{name}" is invalid.',
                     f"Run `{prog} --help' for more information.", status=USAGE)
    for prefix in RESERVED_LV_PREFIXES:
        if name.startswith(prefix):
            raise Failed(f'Names starting "{prefix}" are reserved. Please choose a different '
                         "LV name.", f"Run `{prog} --help' for more information.", status=USAGE)
    for part in RESERVED_LV_STRINGS:
        if part in name:
            raise Failed(f'Names including "{part}" are reserved. Please choose a different '
                         "LV name.", f"Run `{prog} --help' for more information.", status=USAGE)
