"""Knowledge bases: named collections of uploaded files that chats retrieve from.

Any approved user makes them. The owner may share one with users and groups (the groups they
are in; admins may choose any group), to `read` (use it, see its files' names) or to `write`
(also rename it and add or remove their own files). Only the owner deletes it or changes its
grants. Someone who may not read a base gets NotFound, exactly as for a missing id; someone
who may only read it gets Forbidden when they try to change it.

Name and description are sealed with the owner's data key, and each file's name with its
uploader's, so a grantee is shown them opened with those keys. A file added by a grantee
stays in the base when their grant ends (the owner may remove it; its uploader may delete it).
Deleting a base never deletes its files.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import File, KnowledgeBase, KnowledgeFile
from confide.errors import BadRequest, Forbidden, NotFound, RateLimited
from confide.services.accounts import FORBIDDEN_NAME_CHARS, normalize_email
from confide.services.audit import record
from confide.services.context import Context
from confide.store import files, knowledge
from confide.store.access import Principal
from confide.store.keys import UserCipher, cipher_for
from confide.store.knowledge import DESCRIPTION, NAME, OWNER, READ, WRITE
from confide.store.knowledge import Grantee as Grantee  # in this module's answers

MAX_NAME, MAX_DESCRIPTION, MAX_FILES, MAX_GRANTS = 200, 2_000, 1_000, 100
ADDRESSES_PER_HOUR = 100  # people one owner may look up by address to share with
NOT_FOUND = "Knowledge base not found."
READ_ONLY = "You can only read this knowledge base."
OWNER_DELETES = "Only the owner can delete this knowledge base."
OWNER_SHARES = "Only the owner can change who may use this knowledge base."
NOT_YOUR_FILE = "You can only remove the files you added yourself; the owner can remove any."
FULL = f"A knowledge base holds at most {MAX_FILES:,} files. Remove some first."
KEPT_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True)
class KnowledgeSummary:
    id: str
    name: str
    description: str
    permission: str  # owner, write or read
    file_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class KnowledgeFileInfo:
    id: str
    name: str
    status: str
    chunk_count: int
    mine: bool  # I uploaded it (so I may remove it, with write permission)
    added_at: datetime


@dataclass(frozen=True)
class KnowledgeView(KnowledgeSummary):
    files: list[KnowledgeFileInfo]
    grants: list[Grantee] | None  # the owner's eyes only


def clean_name(value: str) -> str:
    """A name to show: NFC, trimmed, 1 to MAX_NAME characters, no control characters."""
    name = _clean(value, MAX_NAME, "Name", multiline=False)
    if not name:
        raise ValueError("Name cannot be empty.")
    return name


def clean_description(value: str) -> str:
    """Plain text of at most MAX_DESCRIPTION characters; line breaks and tabs are kept."""
    return _clean(value, MAX_DESCRIPTION, "Description", multiline=True)


def _clean(value: str, limit: int, what: str, *, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", value).strip()
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > limit:
        raise ValueError(f"{what} can be at most {limit:,} characters.")
    allowed = KEPT_CONTROLS if multiline else frozenset()
    if any(_unsafe(c) and c not in allowed for c in text):
        raise ValueError(f"{what} cannot contain control or text-direction characters.")
    return text


def _unsafe(c: str) -> bool:
    """Control characters, and those that reorder text (a shared name could mislead)."""
    return unicodedata.category(c) == "Cc" or c in FORBIDDEN_NAME_CHARS


def _checked(clean: Callable[[str], str], value: str) -> str:
    try:
        return clean(value)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


class _Ciphers:
    """The ciphers of the users whose sealed text one answer shows, each unwrapped once."""

    def __init__(self, session: AsyncSession, ctx: Context) -> None:
        self.session, self.ctx, self.known = session, ctx, dict[str, UserCipher]()

    async def of(self, user_id: str) -> UserCipher:
        if user_id not in self.known:
            self.known[user_id] = await cipher_for(self.session, self.ctx.sealer, user_id)
        return self.known[user_id]


# --- use-cases -------------------------------------------------------------------------------


async def create(
    principal: Principal, ctx: Context, name: str, description: str = ""
) -> KnowledgeView:
    name, description = _checked(clean_name, name), _checked(clean_description, description)
    async with ctx.db.write() as session:
        box = await cipher_for(session, ctx.sealer, principal.uid)
        row = await knowledge.create(session, principal, box, name=name, description=description)
        await record(
            session, principal, "knowledge.created", target_type="knowledge", target_id=row.id
        )
    return KnowledgeView(
        row.id, name, description, OWNER, 0, row.created_at, row.updated_at, [], []
    )


async def page(
    principal: Principal, ctx: Context, *, before: str | None, limit: int
) -> list[KnowledgeSummary]:
    """Mine and those shared with me or my groups, newest first."""
    async with ctx.db.read() as session:
        rows = await knowledge.page_readable(session, principal, before=before, limit=limit)
        allowed = await knowledge.permissions(session, principal, rows)
        counts = await knowledge.file_counts(session, [r.id for r in rows])
        ciphers = _Ciphers(session, ctx)
        return [  # (a grant revoked between the two queries: left out)
            _summary(await ciphers.of(r.user_id), r, allowed[r.id], counts.get(r.id, 0))
            for r in rows
            if r.id in allowed
        ]


async def get(principal: Principal, ctx: Context, knowledge_id: str) -> KnowledgeView:
    async with ctx.db.read() as session:
        row, allowed = await _access(session, principal, knowledge_id, READ)
        return await _view(session, ctx, principal, row, allowed)


async def update(
    principal: Principal,
    ctx: Context,
    knowledge_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
) -> KnowledgeView:
    """Rename or describe (owner, or write permission). None leaves a field as it is."""
    changes = {}
    if name is not None:
        changes[NAME] = _checked(clean_name, name)
    if description is not None:
        changes[DESCRIPTION] = _checked(clean_description, description)
    async with ctx.db.write() as session:
        row, allowed = await _access(session, principal, knowledge_id, WRITE, lock=True)
        box = await cipher_for(session, ctx.sealer, row.user_id)
        changed = [c for c, text in changes.items() if text != _open(box, row, c)]
        for column in changed:
            knowledge.seal(box, row, column, changes[column])
        if changed:
            knowledge.touch(row)
            await session.flush()
            await record(
                session,
                principal,
                "knowledge.updated",
                target_type="knowledge",
                target_id=row.id,
                changed=changed,
            )
        return await _view(session, ctx, principal, row, allowed)


async def delete(principal: Principal, ctx: Context, knowledge_id: str) -> None:
    """Owner only. The base goes with its file list and grants; the files stay."""
    async with ctx.db.write() as session:
        row, _ = await _access(session, principal, knowledge_id, OWNER, lock=True)
        await knowledge.remove(session, principal, row.id)
        await record(
            session, principal, "knowledge.deleted", target_type="knowledge", target_id=row.id
        )


async def add_file(
    principal: Principal, ctx: Context, knowledge_id: str, file_id: str
) -> KnowledgeFileInfo:
    """Add one of my own files (owner, or write permission); adding it again changes nothing.
    Another user's file is NotFound, exactly like a missing one."""
    async with ctx.db.write() as session:
        row, _ = await _access(session, principal, knowledge_id, WRITE, lock=True)
        file = await files.get(session, principal, file_id)
        added = await knowledge.entry(session, row.id, file.id)
        if added is None:
            added = await _add_new(session, principal, row, file)
        box = await cipher_for(session, ctx.sealer, file.user_id)
        return _file_info(box, principal, file, added)


async def _add_new(
    session: AsyncSession, principal: Principal, row: KnowledgeBase, file: File
) -> KnowledgeFile:
    counts = await knowledge.file_counts(session, [row.id])
    if counts.get(row.id, 0) >= MAX_FILES:
        raise BadRequest(FULL)
    added = await knowledge.add_file(session, row.id, file.id)
    knowledge.touch(row)
    await record(
        session,
        principal,
        "knowledge.file_added",
        target_type="knowledge",
        target_id=row.id,
        file_id=file.id,
    )
    return added


async def remove_file(principal: Principal, ctx: Context, knowledge_id: str, file_id: str) -> None:
    """Take a file out of the base (the file itself stays): the owner any file, a user with
    write permission only their own."""
    async with ctx.db.write() as session:
        row, allowed = await _access(session, principal, knowledge_id, WRITE, lock=True)
        found = await knowledge.entry(session, row.id, file_id)
        file = None if found is None else await session.get(File, file_id)
        if file is None:
            raise NotFound("File not found.")
        if allowed != OWNER and file.user_id != principal.uid:
            raise Forbidden(NOT_YOUR_FILE)
        await knowledge.remove_file(session, row.id, file_id)
        knowledge.touch(row)
        await record(
            session,
            principal,
            "knowledge.file_removed",
            target_type="knowledge",
            target_id=row.id,
            file_id=file_id,
        )


async def set_grants(
    principal: Principal, ctx: Context, knowledge_id: str, wanted: Sequence[Grantee]
) -> list[Grantee]:
    """Owner only: replace who else may use the base. Users must be approved, active
    accounts, named by id or by address (`email`); groups, ones the owner is in (any group,
    for admins). Ids already granted are kept as they are even if that no longer holds (a
    grant is only ever narrowed here)."""
    _check_shape(wanted)
    async with ctx.db.write() as session:
        row, _ = await _access(
            session, principal, knowledge_id, OWNER, lock=True, refusal=OWNER_SHARES
        )
        wanted = await _by_address(session, principal, ctx, wanted)
        _check_shape(wanted)  # one person named both by id and by address
        current = await knowledge.grants_of(session, row.id)
        await _check_grantees(session, principal, row, wanted, current)
        await knowledge.set_grants(session, row.id, wanted)
        knowledge.touch(row)
        await record(
            session,
            principal,
            "knowledge.shared",
            target_type="knowledge",
            target_id=row.id,
            grants=[_grant_detail(g) for g in wanted],
        )
        return await knowledge.grants_of(session, row.id)


# --- rules -----------------------------------------------------------------------------------


async def _access(
    session: AsyncSession,
    principal: Principal,
    knowledge_id: str,
    need: str,
    *,
    lock: bool = False,
    refusal: str = OWNER_DELETES,
) -> tuple[KnowledgeBase, str]:
    """The base and what I may do with it. NotFound unless I may read it; Forbidden (with
    `refusal` for owner-only changes) when I may see it but not do what `need` says."""
    row = await knowledge.get_readable(session, principal, knowledge_id, lock=lock)
    allowed = None if row is None else await knowledge.permission(session, principal, row)
    if row is None or allowed is None:
        raise NotFound(NOT_FOUND)
    if need == WRITE and allowed == READ:
        raise Forbidden(READ_ONLY)
    if need == OWNER and allowed != OWNER:
        raise Forbidden(refusal)
    return row, allowed


def _check_shape(wanted: Sequence[Grantee]) -> None:
    if len(wanted) > MAX_GRANTS:
        raise BadRequest(f"A knowledge base can be shared with at most {MAX_GRANTS} grantees.")
    seen: set[str] = set()
    for grant in wanted:
        if sum(who is not None for who in (grant.user_id, grant.group_id, grant.email)) != 1:
            raise BadRequest("Each grant names one user_id, group_id or email, and only one.")
        if grant.permission not in (READ, WRITE):
            raise BadRequest("A grant's permission is 'read' or 'write'.")
        key = _grant_key(grant)
        if key in seen:
            raise BadRequest(f"The {key.replace(':', ' ')} is listed twice; list each once.")
        seen.add(key)


async def _check_grantees(
    session: AsyncSession,
    principal: Principal,
    row: KnowledgeBase,
    wanted: Sequence[Grantee],
    current: Sequence[Grantee],
) -> None:
    known = {_grant_key(g) for g in current}
    users = [g.user_id for g in wanted if g.user_id and _grant_key(g) not in known]
    groups = [g.group_id for g in wanted if g.group_id and _grant_key(g) not in known]
    if row.user_id in users:
        raise BadRequest("You own this knowledge base: there is no need to share it with you.")
    missing_users = set(users) - await knowledge.active_users(session, users)
    if missing_users:
        raise BadRequest(f"No approved, active user has the id {min(missing_users)}.")
    missing_groups = set(groups) - await knowledge.shareable_groups(session, principal, groups)
    if missing_groups:
        raise BadRequest(
            f"Group {min(missing_groups)} does not exist or is not one of yours: "
            "you can share with the groups you are in."
        )


async def _by_address(
    session: AsyncSession, principal: Principal, ctx: Context, wanted: Sequence[Grantee]
) -> list[Grantee]:
    """The grants, those naming a person by address turned into ones naming their account.
    An address with no approved, active account is refused by name. Lookups are counted per
    owner (ADDRESSES_PER_HOUR), so sharing cannot be used to try out addresses by the
    thousand; a member still learns whether an address they type has an account."""
    asked = {grant.email: _address(grant.email) for grant in wanted if grant.email is not None}
    if not asked:
        return list(wanted)
    for _ in asked:
        decision = await ctx.limiter.hit(f"share-address:{principal.uid}", ADDRESSES_PER_HOUR, 3600)
        if not decision.allowed:
            raise RateLimited(
                "You have looked up too many addresses for now. Try again later.",
                decision.retry_after,
            )
    found = await knowledge.active_users_by_email(session, list(asked.values()))
    missing = [typed for typed, address in asked.items() if address not in found]
    if missing:
        raise BadRequest(f"No approved, active account uses the address {missing[0]}.")
    return [
        replace(grant, user_id=found[asked[grant.email]], email=None)
        if grant.email is not None
        else grant
        for grant in wanted
    ]


def _address(typed: str) -> str:
    try:
        return normalize_email(typed)
    except ValueError as exc:
        raise BadRequest(f"{typed[:320]!r} cannot be shared with: {exc}") from None


def _grant_key(grant: Grantee) -> str:
    if grant.user_id is not None:
        return f"user:{grant.user_id}"
    if grant.group_id is not None:
        return f"group:{grant.group_id}"
    return f"email:{(grant.email or '').strip().lower()}"


def _grant_detail(grant: Grantee) -> dict[str, str]:
    kind, _, grantee = _grant_key(grant).partition(":")
    return {f"{kind}_id": grantee, "permission": grant.permission}


# --- views -----------------------------------------------------------------------------------


def _open(box: UserCipher, row: KnowledgeBase, column: str) -> str:
    return knowledge.open_text(box, row, column)


def _summary(box: UserCipher, row: KnowledgeBase, allowed: str, count: int) -> KnowledgeSummary:
    return KnowledgeSummary(
        id=row.id,
        name=_open(box, row, NAME),
        description=_open(box, row, DESCRIPTION),
        permission=allowed,
        file_count=count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _view(
    session: AsyncSession, ctx: Context, principal: Principal, row: KnowledgeBase, allowed: str
) -> KnowledgeView:
    ciphers = _Ciphers(session, ctx)
    entries = [
        _file_info(await ciphers.of(f.user_id), principal, f, k)
        for f, k in await knowledge.files_of(session, row.id)
    ]
    grants = await knowledge.grants_of(session, row.id) if allowed == OWNER else None
    base = _summary(await ciphers.of(row.user_id), row, allowed, len(entries))
    return KnowledgeView(**vars(base), files=entries, grants=grants)


def _file_info(
    box: UserCipher, principal: Principal, file: File, added: KnowledgeFile
) -> KnowledgeFileInfo:
    return KnowledgeFileInfo(
        id=file.id,
        name=box.open("files", "name", file.id, file.name),
        status=file.status,
        chunk_count=file.chunk_count,
        mine=file.user_id == principal.uid,
        added_at=added.added_at,
    )
