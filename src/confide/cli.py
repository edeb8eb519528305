"""The `confide` command: serve, migrate, admin, audit, keys, backup/restore, version."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from confide import __version__, logs, server
from confide.app import build_context, close_context
from confide.db import migrate
from confide.db.engine import Database
from confide.errors import ConfideError
from confide.security.key_backup import KeyBackupError
from confide.security.sealing import KeyFileError
from confide.services import admin_cli, audit, backups, keys, restores
from confide.services.data_migration import MigrationReport, migrate_data
from confide.settings import Settings, SettingsError, load_settings
from confide.store.access import Principal
from confide.store.blobs import StorageError, check_storage

Command = Callable[[Settings, argparse.Namespace], int]
BLOBS_NOTE = (
    "note: uploaded files' bytes are not in the database and were not copied: keep the same "
    "file storage (the data dir's files/) for the instance on the new database"
)


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
    except (SettingsError, KeyFileError, KeyBackupError, ConfideError, StorageError) as exc:
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
    _data_parsers(sub)
    keys_parser = sub.add_parser("keys", help="the master key").add_subparsers(title="keys")
    keys_parser.add_parser("rotate", help="re-wrap data keys with a new master key").set_defaults(
        run=cmd_keys_rotate
    )
    return parser


def _data_parsers(sub: Any) -> None:
    backup = sub.add_parser("backup", help="write the whole instance to an archive")
    backup.add_argument("file", type=Path)
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    backup.add_argument(
        "--with-key", action="store_true", help="include the master key, under a passphrase"
    )
    backup.add_argument("--passphrase-file", type=Path, help="read the passphrase from a file")
    backup.set_defaults(run=cmd_backup)
    restore = sub.add_parser("restore", help="restore an archive into an empty instance")
    restore.add_argument("file", type=Path)
    restore.add_argument("--passphrase-file", type=Path, help="read the passphrase from a file")
    restore.set_defaults(run=cmd_restore)
    move = sub.add_parser("migrate-data", help="copy the database to another (e.g. PostgreSQL)")
    move.add_argument("--from", dest="source", required=True, help="database URL to copy")
    move.add_argument("--to", dest="target", required=True, help="database URL to copy into")
    move.add_argument("--batch-rows", type=int, default=500, help=argparse.SUPPRESS)
    move.set_defaults(run=cmd_migrate_data)


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
    check_storage(settings)  # an unusable bucket stops the start here, in one line
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


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    passphrase = _passphrase(args, confirm=True) if args.with_key else None
    report = asyncio.run(
        backups.create_backup(
            Principal.cli(), settings, args.file, force=args.force, passphrase=passphrase
        )
    )
    print(
        f"backup written to {report.path}: {report.tables} tables, {report.rows} rows, "
        f"{report.files} files ({report.file_bytes} bytes)"
    )
    for key in report.missing_blobs:
        print(f"warning: the stored bytes of file blob {key} were gone; not in the backup")
    print(_backup_warning(settings.key_file, with_key=report.with_key), file=sys.stderr)
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    report = asyncio.run(
        restores.restore_backup(
            Principal.cli(),
            settings,
            args.file,
            passphrase=lambda: _passphrase(args, confirm=False),
        )
    )
    print(
        f"restored {report.tables} tables, {report.rows} rows, {report.files} files; "
        "every table's row count and checksum matched the backup"
    )
    if report.key_restored:
        print(f"master key restored to {settings.key_file}")
    return 0


def cmd_migrate_data(settings: Settings, args: argparse.Namespace) -> int:
    def progress(table: str, rows: int) -> None:
        print(f"  {table}: {rows} rows copied", flush=True)

    report: MigrationReport = asyncio.run(
        migrate_data(
            Principal.cli(), args.source, args.target, batch_rows=args.batch_rows, progress=progress
        )
    )
    print(_check_table(report))
    print(BLOBS_NOTE)
    if not report.ok:
        print("confide: the copy does not match the source (see above)", file=sys.stderr)
        return 1
    print(f"copied {report.copied} rows; every table's count and checksum match")
    return 0


def _backup_warning(key_file: Path, *, with_key: bool) -> str:
    if with_key:
        return (
            "warning: this backup holds the master key, wrapped under your passphrase: anyone "
            "with the file and the passphrase can read everything in it. Keep the passphrase "
            "safe, and apart from the backup; without it the key cannot be recovered."
        )
    return (
        "warning: this backup does NOT hold the master key, and cannot be read without it. "
        f"The key is {key_file}: back it up too, kept apart from the backup "
        "(or make the backup with --with-key)."
    )


def _check_table(report: MigrationReport) -> str:
    lines = [f"{'table':<20} {'source rows':>11} {'target rows':>11}  checksum"]
    for check in report.checks:
        verdict = "match" if check.ok else "DIFFERENT"
        lines.append(
            f"{check.table:<20} {check.source_rows:>11} {check.target_rows:>11}  "
            f"{check.target_sha256[:16]} {verdict}"
        )
    return "\n".join(lines)


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.passphrase_file is not None:
        try:
            return str(args.passphrase_file.read_text()).rstrip("\n")
        except OSError as exc:
            raise ConfideError(f"cannot read {args.passphrase_file}: {exc.strerror}") from None
    first = getpass.getpass("Passphrase for the master key: ")
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise ConfideError("the passphrases do not match")
    return first


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
