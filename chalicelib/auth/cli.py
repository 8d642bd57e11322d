r"""Operator CLI for staff accounts: create, disable, enable, reset.

    python -m chalicelib.auth create-staff --username bj_admin --role association_staff \
        --association 110000 --email admin@example.com [--name 北京注协管理员]
    python -m chalicelib.auth disable-staff bj_admin
    python -m chalicelib.auth enable-staff bj_admin
    python -m chalicelib.auth reset-staff bj_admin

It works against whatever AWS the environment points at: the same variables as the stage
(`.chalice/config.json`), read by `Settings.from_env`; `--stage NAME` loads that stage's
variables from `.chalice/config.json` for anything not already set (then the operator needs
AWS credentials with AWS_DEFAULT_REGION, read access to the stage's SSM parameters and write
access to its accounts table; run from the repository root). A new or reset account gets
a random initial password, printed once here and never stored in clear; it must be changed at
the first sign-in.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Sequence

from chalicelib.errors import AppError
from chalicelib.members.schema import ASSOCIATION_NAMES, NATIONAL_CODE
from chalicelib.principal import ASSOCIATION_STAFF, NATIONAL_STAFF

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


class CliError(Exception):
    pass


def load_stage_env(stage: str, config_path: Path = CONFIG) -> None:
    """Put the stage's environment variables from .chalice/config.json into os.environ (unset ones only)."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{config_path} not found") from None
    if stage not in config.get("stages", {}):
        raise CliError(f"stage {stage!r} not in {config_path.name}")
    env = {**config.get("environment_variables", {}),
           **config["stages"][stage].get("environment_variables", {})}
    for key, value in env.items():
        os.environ.setdefault(key, str(value))


def _username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME.match(username):
        raise CliError("username: 3-32 characters, lower-case letters, digits, '_', '.', '-', "
                       "starting with a letter")
    return username


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m chalicelib.auth", description="Manage staff accounts.")
    p.add_argument("--stage", help="load this stage's variables from .chalice/config.json first")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create-staff", help="create a staff account with a random initial password")
    c.add_argument("--username", required=True)
    c.add_argument("--role", required=True, choices=[ASSOCIATION_STAFF, NATIONAL_STAFF])
    c.add_argument("--association", help="6-digit association code (national_staff: 100000, the default)")
    c.add_argument("--email", required=True, help="address for password recovery")
    c.add_argument("--name", default="", help="display name")
    for name, text in (("disable-staff", "disable a staff account (its tokens stop working at once)"),
                       ("enable-staff", "enable a disabled staff account"),
                       ("reset-staff", "give a staff account a new random initial password")):
        s = sub.add_parser(name, help=text)
        s.add_argument("username")
    return p


def _create(args: argparse.Namespace) -> str:
    from chalicelib.auth import service

    username = _username(args.username)
    association = (args.association or "").strip()
    if args.role == NATIONAL_STAFF:
        association = association or NATIONAL_CODE
        if association != NATIONAL_CODE:
            raise CliError(f"national_staff manages overseas members: --association must be {NATIONAL_CODE}")
    elif association not in ASSOCIATION_NAMES or association == NATIONAL_CODE:
        raise CliError("association_staff needs --association, a local association code (e.g. 110000)")
    email = args.email.strip()
    if not EMAIL.match(email):
        raise CliError("--email is not a valid e-mail address")
    initial = service.create_account(user_type="staff", username=username, role=args.role,
                                     association=association, display_name=args.name.strip(), email=email)
    return (f"created staff account {username} ({args.role}, {association} "
            f"{ASSOCIATION_NAMES[association]})\n"
            f"initial password (shown once, must be changed at first sign-in): {initial}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.stage:
            load_stage_env(args.stage)
        from chalicelib.auth import service
        from chalicelib.auth.models import AccountModel
        from chalicelib.bootstrap import deps

        deps()  # settings from the environment; binds the models to the stage's tables
        if args.command == "create-staff":
            print(_create(args))
            return 0
        username = _username(args.username)
        account_id = AccountModel.key("staff", username)
        if args.command == "reset-staff":
            initial = service.reset_to_initial_password(account_id)
            print(f"reset staff account {username}; its sessions are signed out\n"
                  f"initial password (shown once, must be changed at first sign-in): {initial}")
        else:
            disabled = args.command == "disable-staff"
            service.set_disabled(account_id, disabled)
            print(f"{'disabled' if disabled else 'enabled'} staff account {username}")
        return 0
    except (CliError, AppError) as exc:
        print(f"error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # settings missing, no AWS access: say what, without a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
