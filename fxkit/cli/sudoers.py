"""``fxkit sudoers USER``: the sudoers rule that lets USER run fxkit with ``--sudo``."""

from __future__ import annotations

import click

from fxkit.errors import InvalidRequest
from fxkit.privilege import GROUPS, check_user_name, sudoers_rule, sudoers_user

# click rewraps help text; "\b" keeps the next paragraph's lines as they are
_EPILOG = "\b\nGroups:\n" + "\n".join(f"  {name:<6} {purpose}"
                                      for name, (purpose, _) in GROUPS.items())


def _user(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:                       # the library checks it too: the rule is never made otherwise
        return check_user_name(value)
    except InvalidRequest as e:
        raise click.BadParameter(str(e)) from None


def _groups(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    groups = tuple(dict.fromkeys(g.strip() for g in value.split(",") if g.strip()))
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise click.BadParameter(f"{', '.join(unknown) or 'no group given'}: choose among "
                                 f"{','.join(GROUPS)}")
    return groups


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, epilog=_EPILOG)
@click.argument("user", callback=_user)
@click.option("--groups", default=",".join(GROUPS), show_default=True, callback=_groups,
              metavar="G1,G2,...", help="Comma-separated groups of commands (below).")
@click.option("--user-line", is_flag=True,
              help="Print only USER's line: for a second operator, once the Cmnd_Alias lines "
                   "are installed.")
def sudoers(user: str, groups: tuple[str, ...], user_line: bool) -> None:
    """Print the sudoers rule that lets USER run, without a password, what fxkit runs
    with --sudo, and nothing else.

    Install it as root on the host with `visudo -f /etc/sudoers.d/fxkit`. Give each
    operator only the groups they need: --groups read for the inventory and the doctor,
    --groups read,lock,lvm for the LV runbooks. The read and lock commands are exact,
    but for head (it reads the domU configs, so any file); the others take any
    arguments, and xen, net and files amount to root (README: Real hosts). Paths are
    Debian 12's: check yours with `command -v pvs` as root.
    """
    click.echo(sudoers_user(user, groups) if user_line else sudoers_rule(user, groups), nl=False)
