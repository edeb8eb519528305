"""The `confide` command: serve, migrate, admin, audit, keys, version."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from confide import __version__, logs, server
from confide.app import build_context, close_context
from confide.db import migrate
from confide.db.engine import Database
from confide.errors import ConfideError
from confide.security.sealing import KeyFileError
from confide.services import admin_cli, audit, keys
from confide.settings import Settings, SettingsError, load_settings
from confide.store.access import Principal

Command = Callable[[Settings, argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        run: Command = args.run
        return run(settings, args)
    except (SettingsError, KeyFileError, ConfideError) as exc:
        print(f"confide: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="confide", description="Confide: your AI chat, yours.")
    sub = parser.add_subparsers(title="commands")
    serve = sub.add_parser("serve", help="run the web server (migrates the database first)")
    serve.add_argument("--host", help="override CONFIDE_HOST")
    serve.add_argument("--port", type=int, help="override CONFIDE_PORT")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        run=cmd_migrate
    )
    sub.add_parser("version", help="print the version").set_defaults(run=cmd_version)
    _admin_parsers(sub.add_parser("admin", help="manage accounts from the server shell"))
    audit_parser = sub.add_parser("audit", help="the audit log").add_subparsers(title="audit")
    audit_parser.add_parser("verify", help="check the hash chain").set_defaults(
        run=cmd_audit_verify
    )
    keys_parser = sub.add_parser("keys", help="the master key").add_subparsers(title="keys")
    keys_parser.add_parser("rotate", help="re-wrap data keys with a new master key").set_defaults(
        run=cmd_keys_rotate
    )
    return parser


def _admin_parsers(admin: argparse.ArgumentParser) -> None:
    sub = admin.add_subparsers(title="admin")
    for name, run, help_text in (
        ("create", cmd_admin_create, "create an admin account"),
        ("reset-password", cmd_admin_reset, "set a new password for an account"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--email", required=True)
        if name == "create":
            cmd.add_argument("--name", default="Admin")
        cmd.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input instead of prompting",
        )
        cmd.set_defaults(run=run)


def cmd_version(settings: Settings, args: argparse.Namespace) -> int:
    print(f"confide {__version__}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    logs.configure(settings)
    server.serve(settings, args.host or settings.host, args.port or settings.port)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> None:
        db = Database(settings.sqlalchemy_url)
        try:
            before = await migrate.current_revision(db)
            await migrate.upgrade(db)
            print(f"database at revision {await migrate.current_revision(db)} (was {before})")
        finally:
            await db.dispose()

    asyncio.run(run())
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SystemExit("confide: the passwords do not match")
    return first


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    user = _with_context(
        settings,
        lambda ctx: admin_cli.create_admin(
            Principal.cli(), ctx, email=args.email, name=args.name, password=password
        ),
    )
    print(f"created admin {user.email} ({user.id})")
    return 0


def cmd_admin_reset(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    user = _with_context(
        settings,
        lambda ctx: admin_cli.reset_password(
            Principal.cli(), ctx, email=args.email, password=password
        ),
    )
    print(f"new password set for {user.email}; their sessions were ended")
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    report = _with_context(settings, lambda ctx: audit.verify_chain(Principal.cli(), ctx))
    if report.ok:
        print(f"audit log intact: {report.checked} events, head {report.head_hash}")
        return 0
    print(
        f"audit log BROKEN at event {report.broken_seq}: {report.reason} "
        f"({report.checked} events before it verified)"
    )
    return 1


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    result = _with_context(settings, lambda ctx: keys.rotate_master_key(Principal.cli(), ctx))
    print(f"master key rotated to {result.new_key_id}; {result.rewrapped} data keys re-wrapped")
    return 0


def _with_context(settings: Settings, use: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    async def run() -> Any:
        ctx = await build_context(settings)
        try:
            return await use(ctx)
        finally:
            await close_context(ctx)

    return asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
