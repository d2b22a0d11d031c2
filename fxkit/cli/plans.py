"""How the CLI shows a plan and applies it: text or ``--json``; ``Plan.apply`` holds the lock."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from fxkit.cli import jsonout


def _keep_export(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta["fxkit.export"] = value


EXPORT = click.option("--export", type=click.Choice(["ansible", "sh"]), default=None,
                      expose_value=False, callback=_keep_export,
                      help="Print the plan as an Ansible playbook or a POSIX sh script (the "
                           "same argv, each step after its re-check; idempotent) instead of "
                           "showing or applying it.")


def show_or_apply(plan: Any, host: Any, apply: bool, confirm: Iterable[str] = (), *,
                  as_json: bool = False, command: str = "fxkit") -> None:
    """Print ``plan`` (a dry-run); with ``apply``, run it: ``Plan.apply`` holds ``host``'s
    apply lock (naming ``command``), so the CLI and runbooks never change a host at once."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and (fmt := ctx.meta.get("fxkit.export")):
        if apply:
            raise click.UsageError("--export prints the plan for another engine: drop --apply")
        from fxkit.export import export
        click.echo(export(plan, fmt), nl=False)
        return
    outcome = None
    if apply and not plan.empty:
        if not as_json:
            click.echo(str(plan))
        outcome = plan.apply(host, confirm=list(confirm), holder=command)
        if not as_json:
            click.echo(str(outcome))
    elif not as_json:
        click.echo(str(plan))
        if not plan.empty:
            need = plan.destroys()   # one name confirms them all when the plan has one
            need = [plan.confirmation()] if need and plan.confirm_name else need
            hint = "".join(f" --confirm {n}" for n in need)
            click.echo(f"(dry run: add --apply{hint} to run it)")
    if as_json:
        jsonout.echo(jsonout.plan_doc(host.name, plan, outcome))
