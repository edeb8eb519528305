"""Who is acting, and the rules every query follows to stay inside what they may see.

Every store function that reads or writes a user's resources takes the acting Principal and
filters by it here, so a forgotten check cannot leak another user's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import GroupMember
from confide.errors import Forbidden, NotFound, Unauthorized

# The `Database.on_commit` topic of writes that change who may act, and as what: sessions or
# API keys ended, accounts disabled, deleted or given another role, passwords changed.
AUTH = "auth"


class Role(StrEnum):
    admin = "admin"
    user = "user"
    pending = "pending"


@dataclass(frozen=True)
class Client:
    """Where a request came from; recorded in sessions and the audit log."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Principal:
    """The actor: a signed-in user (by session or API key), an anonymous visitor, or the CLI."""

    user_id: str | None
    role: Role | None
    client: Client = Client()
    session_id: str | None = None
    api_key_id: str | None = None
    system: bool = False
    two_factor: bool = False  # the account signs in with a second factor

    @classmethod
    def anonymous(cls, client: Client) -> Principal:
        return cls(user_id=None, role=None, client=client)

    @classmethod
    def cli(cls) -> Principal:
        return cls(user_id=None, role=None, client=Client(ip="cli"), system=True)

    @property
    def is_admin(self) -> bool:
        return self.system or self.role is Role.admin

    @property
    def uid(self) -> str:
        """The user id of a signed-in principal (raises for anonymous ones)."""
        if self.user_id is None:
            raise Unauthorized("Sign in first.")
        return self.user_id


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only an admin can do this.")


def owned_by(principal: Principal, owner_column: Any) -> ColumnElement[bool]:
    """The filter every query over a user's own rows uses."""
    condition: ColumnElement[bool] = owner_column == principal.uid
    return condition


Owned = TypeVar("Owned")


async def get_owned(
    session: AsyncSession, principal: Principal, table: type[Owned], row_id: str, what: str
) -> Owned:
    """The acting user's row `row_id` of `table` (which has `id` and `user_id`); another
    user's answers NotFound("<what> not found."), exactly like a missing one."""
    columns: Any = table
    query = select(table).where(owned_by(principal, columns.user_id), columns.id == row_id)
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


def in_my_groups(principal: Principal, group_column: Any) -> ColumnElement[bool]:
    """The filter for rows tied to a group the acting user is a member of."""
    mine = select(GroupMember.group_id).where(GroupMember.user_id == principal.uid)
    condition: ColumnElement[bool] = group_column.in_(mine)
    return condition
