# Fixtures for `semgrep --test`: the line under each "ruleid" annotation must be flagged, the line
# under each "ok" annotation must not.
# ruff: noqa
# fmt: off
import sqlalchemy as sa
from sqlalchemy import literal_column, select, text

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")


def built_from_strings(session, conn, cursor, op, name, table, column, ids):
    # ruleid: confide-sql-from-strings
    session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    # ruleid: confide-sql-from-strings
    session.execute(sa.text("SELECT * FROM users WHERE name = '%s'" % name))
    # ruleid: confide-sql-from-strings
    session.execute(text("SELECT * FROM {} WHERE id = 1".format(table)))
    # ruleid: confide-sql-from-strings
    session.execute(text("SELECT * FROM users WHERE name = '" + name + "'"))
    # ruleid: confide-sql-from-strings
    conn.exec_driver_sql(f"DROP TABLE {table}")
    # ruleid: confide-sql-from-strings
    cursor.execute("DELETE FROM users WHERE id = %d" % ids)
    # ruleid: confide-sql-from-strings
    cursor.executemany("INSERT INTO " + table + " VALUES (?)", ids)
    # ruleid: confide-sql-from-strings
    op.execute(f"UPDATE {table} SET x = 1")
    # ruleid: confide-sql-from-strings
    select(literal_column(f"{column} || 'x'"))
    # ruleid: confide-sql-from-strings
    cursor.execute("SELECT * FROM t WHERE id IN (" + ", ".join(ids) + ")")


def built_then_executed(session, cursor, name, table):
    query = f"SELECT * FROM {table}"
    # ruleid: confide-sql-from-strings
    session.execute(text(query))
    statement = "SELECT * FROM users WHERE name = '" + name + "'"
    # ruleid: confide-sql-from-strings
    cursor.execute(statement)
    template = "DELETE FROM {}"
    # ruleid: confide-sql-from-strings
    cursor.execute(template.format(table))


def constant_sql_and_bound_parameters(session, conn, cursor, immediate, name, User):
    # ok: confide-sql-from-strings
    session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})
    # ok: confide-sql-from-strings
    session.execute(text("SELECT * FROM users WHERE name LIKE :p"), {"p": f"%{name}%"})
    # ok: confide-sql-from-strings
    session.execute(select(User).where(User.name == f"{name}!"))
    # ok: confide-sql-from-strings
    session.execute(text("SELECT 1 " "FROM users"))
    for pragma in SQLITE_PRAGMAS:
        # ok: confide-sql-from-strings
        cursor.execute(pragma)
    # ok: confide-sql-from-strings
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    # ok: confide-sql-from-strings
    cursor.execute("SELECT * FROM users WHERE name = ?", (f"{name}",))
