"""The `tracker` command: each command parses, calls one library function, prints a table/JSON.

The group lives here; each family of commands has a module of its own, imported only when one
of its commands runs (or `--help` lists them), so a question does not pay for the others.
"""

from __future__ import annotations

import click

from .common import Group, seed_files

__all__ = ["main", "seed_files"]


_COMMANDS = {  # command -> where it is defined, imported when the command is used
    "state": ".questions:state_command",
    "who": ".questions:who_command",
    "first": ".questions:first_command",
    "history": ".questions:history_command",
    "entities": ".questions:entities_command",
    "panel": ".panels:panel_command",
    "replay": ".time:replay_command",
    "scenario": ".time:scenario_command",
    "retract": ".time:retract_command",
    "load": ".data:load_command",
    "import": ".data:import_group",
    "export": ".data:export_command",
    "verify": ".data:verify_command",
    "rebuild": ".data:rebuild_command",
    "plot": ".views:plot_group",
    "serve": ".views:serve_command",
    "bench": ".bench:bench",
}


@click.group(
    cls=Group,
    lazy=_COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    type=click.Path(),
    default=None,
    help="Database file [default: $TRACKER_DB, else ./tracker.db]; created from seeds/ if new.",
)
@click.option(
    "--no-seed",
    is_flag=True,
    help="Create a new database empty, without the bundled seeds.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait while another process writes to the database.",
)
@click.version_option(package_name="geo-state-tracker")
@click.pass_context
def main(ctx: click.Context, db: str | None, no_seed: bool, lock_timeout: float) -> None:
    """Event-sourced geopolitical state tracker: who stood where toward whom, when, says who.

    Shell completion: eval "$(_TRACKER_COMPLETE=bash_source tracker)" (zsh_source, fish_source).
    """
    if ctx.invoked_subcommand is None:  # `tracker` alone: the help, and success
        click.echo(ctx.get_help())
        return
    from ..opening import resolve

    ctx.ensure_object(dict)
    ctx.obj["db"] = resolve(db)
    ctx.obj["seed"] = not no_seed
    ctx.obj["timeout"] = lock_timeout
