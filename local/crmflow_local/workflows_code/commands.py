"""``crmflow workflows export|plan|apply``: the command line of workflows as code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crmflow_local.workflows_code.client import (
    DEFAULT_URL,
    Api,
    ApiFailure,
    Unreachable,
    default_token,
    default_url,
)

COMMANDS = {
    "export": "write every workflow of a running crmflow as a YAML file of --dir",
    "plan": "show what applying the files of --dir would change (a diff per workflow), changing nothing",
    "apply": "create and update workflows from the files of --dir, refusing those changed since the export",
}


def add_parser(commands: Any) -> None:
    """Adds ``workflows`` to the ``crmflow`` command's subcommands."""
    parser = commands.add_parser(
        "workflows",
        help="workflows as code: export, plan, apply (docs/workflows-as-code.md)",
        description="Workflows as YAML files: export, review in git, plan, apply.",
    )
    actions = parser.add_subparsers(dest="workflows_command", required=True)
    for name, text in COMMANDS.items():
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument(
            "--dir", type=Path, default=Path("workflows"), help="the directory of workflow files"
        )
        action.add_argument(
            "--url",
            default=None,
            help=f"the crmflow API (default: $CRMFLOW_URL, else {DEFAULT_URL}: crmflow serve)",
        )
        action.add_argument(
            "--token",
            default=None,
            help="a bearer token (default: $CRMFLOW_TOKEN, else the local admin token)",
        )


def run(args: argparse.Namespace) -> int:
    from crmflow_local.workflows_code import apply, export, plan

    api = Api(args.url or default_url(), args.token or default_token())
    command = {"export": export.run, "plan": plan.run, "apply": apply.run}[args.workflows_command]
    if args.workflows_command != "export" and not args.dir.is_dir():
        sys.stderr.write(f"crmflow workflows {args.workflows_command}: {args.dir} is not a directory\n")
        return 1
    try:
        return command(api, args.dir, sys.stdout)
    except Unreachable as error:
        sys.stderr.write(
            f"crmflow workflows {args.workflows_command}: {error} (is `crmflow serve` running?)\n"
        )
    except ApiFailure as failure:
        sys.stderr.write(f"crmflow workflows {args.workflows_command}: the API answered {failure}\n")
    except OSError as error:
        sys.stderr.write(f"crmflow workflows {args.workflows_command}: {error}\n")
    return 1
