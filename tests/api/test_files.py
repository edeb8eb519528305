"""`/api/files`: uploads are sealed as they arrive and stored under random keys; downloads are
attachments; limits, quotas and malformed bodies are refused cleanly and leave nothing behind;
another user's file is a 404 everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confide.api import files as file_api
from confide.db.tables import File
from confide.security.sealing import SealError
from confide.services import files as file_service
from confide.services import ingest
from confide.services.context import Context
from confide.store import keys

NOTES = b"# Quokka notes\n\nThe merger closes on Tuesday. Escrow is 41 million.\n"


async def upload(
    c: httpx.AsyncClient, data: bytes = NOTES, name: str = "notes.md", **kwargs: Any
) -> httpx.Response:
    return await c.post("/api/files", files={"file": (name, data, "text/markdown")}, **kwargs)


def blob_files(ctx: Context) -> list[Path]:
    root = ctx.settings.files_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def file_rows(ctx: Context) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(File)) or 0)


async def test_an_upload_is_sealed_at_rest_and_comes_back_byte_for_byte(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    response = await upload(user)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["name"] == "notes.md"
    assert made["size"] == len(NOTES)
    assert made["status"] == "pending"
    [stored] = blob_files(ctx)
    assert "notes" not in stored.name and made["id"] not in str(stored)
    assert b"Quokka" not in stored.read_bytes() and b"Escrow" not in stored.read_bytes()
    assert stored.stat().st_mode & 0o077 == 0
    async with ctx.db.read() as session:
        row = await session.get(File, made["id"])
    assert row is not None and b"notes" not in row.name

    download = await user.get(f"/api/files/{made['id']}/content")
    assert download.status_code == 200
    assert download.content == NOTES
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]


async def test_files_are_listed_newest_first_and_paged(user: httpx.AsyncClient) -> None:
    for n in range(3):
        assert (await upload(user, name=f"f{n}.txt")).status_code == 201
    first = (await user.get("/api/files", params={"limit": 2})).json()
    assert [f["name"] for f in first["items"]] == ["f2.txt", "f1.txt"]
    rest = (await user.get("/api/files", params={"cursor": first["next_cursor"]})).json()
    assert [f["name"] for f in rest["items"]] == ["f0.txt"] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("bad\x07name\x1b.txt", "badname.txt"),
        ("..", ".."),
        ("", "untitled"),
        ("a" * 400 + ".txt", "a" * 255),
    ],
)
async def test_the_file_name_is_only_a_label(
    user: httpx.AsyncClient, ctx: Context, given: str, shown: str
) -> None:
    body = (
        b'--zz\r\nContent-Disposition: form-data; name="file"; filename="'
        + given.encode()
        + b'"\r\n\r\nhello\r\n--zz--\r\n'
    )
    headers = {"content-type": "multipart/form-data; boundary=zz"}
    response = await user.post("/api/files", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == shown
    [stored] = blob_files(ctx)
    assert stored.is_relative_to(ctx.settings.files_dir)
    assert len(stored.name) == 32 and stored.parent.parent == ctx.settings.files_dir


async def test_a_download_names_the_file_safely(user: httpx.AsyncClient) -> None:
    made = (await upload(user, name="back\\slash, ünïcode; x=1.txt")).json()
    assert made["name"] == "slash, ünïcode; x=1.txt"  # a backslash separates a path
    download = await user.get(f"/api/files/{made['id']}/content")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="slash, _n_code; x=1.txt";')
    assert "filename*=UTF-8''slash%2C%20%C3%BCn%C3%AFcode%3B%20x%3D1.txt" in disposition


def test_a_quote_in_a_file_name_cannot_break_out_of_the_header() -> None:
    header = file_api._attachment('a"; filename="evil.html')
    assert header.startswith('attachment; filename="a_; filename=_evil.html";')


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"file_max_bytes": 4096, "file_quota_bytes": 6144}


async def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    response = await upload(user, b"x" * 5000)
    assert response.status_code == 413
    assert "4 KB limit" in response.json()["detail"]
    assert blob_files(ctx) == [] and await file_rows(ctx) == 0


async def test_a_streamed_upload_without_a_length_is_cut_off_at_the_limit(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    async def body() -> Any:
        yield head
        for _ in range(10):
            yield b"y" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await user.post(
        "/api/files",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert blob_files(ctx) == [] and await file_rows(ctx) == 0


async def test_the_quota_counts_every_file_and_deleting_makes_room(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    first = await upload(user, b"a" * 4000)
    assert first.status_code == 201
    second = await upload(user, b"b" * 3000)
    assert second.status_code == 413
    assert "Not enough room" in second.json()["detail"]
    assert await file_rows(ctx) == 1 and len(blob_files(ctx)) == 1
    assert (await user.delete(f"/api/files/{first.json()['id']}")).status_code == 204
    assert (await upload(user, b"b" * 3000)).status_code == 201


@pytest.mark.parametrize(
    ("label", "kwargs", "status", "says"),
    [
        ("json, not multipart", {"json": {"file": "x"}}, 415, "multipart/form-data"),
        (
            "a field that is not a file",
            {"data": {"file": "just text"}, "files": {"other": ("a.txt", b"x")}},
            400,
            "",
        ),
        ("the file in another field", {"files": {"upload": ("a.txt", b"x")}}, 400, "`file`"),
        (
            "two files",
            {"files": [("file", ("a.txt", b"x")), ("file", ("b.txt", b"y"))]},
            400,
            "one file",
        ),
        (
            "a body cut short",
            {
                "content": b'--zz\r\nContent-Disposition: form-data; name="file"; '
                b'filename="a.txt"\r\n\r\nhalf a fi',
                "headers": {"content-type": "multipart/form-data; boundary=zz"},
            },
            400,
            "ended before",
        ),
        (
            "no boundary",
            {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
            415,
            "multipart",
        ),
        (
            "garbage instead of parts",
            {
                "content": b"this is not multipart at all",
                "headers": {"content-type": "multipart/form-data; boundary=zz"},
            },
            400,
            "",
        ),
    ],
)
async def test_malformed_uploads_get_a_clear_error_and_keep_nothing(
    user: httpx.AsyncClient,
    ctx: Context,
    label: str,
    kwargs: dict[str, Any],
    status: int,
    says: str,
) -> None:
    response = await user.post("/api/files", **kwargs)
    assert response.status_code == status, f"{label}: {response.text}"
    assert says in response.json()["detail"], label
    assert blob_files(ctx) == [] and await file_rows(ctx) == 0, label


async def test_another_users_file_is_not_found_anywhere(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    mine = (await upload(user)).json()["id"]
    for method, path in [
        ("GET", f"/api/files/{mine}"),
        ("GET", f"/api/files/{mine}/content"),
        ("DELETE", f"/api/files/{mine}"),
        ("POST", f"/api/files/{mine}/reindex"),
    ]:
        response = await admin.request(method, path)
        assert response.status_code == 404, f"{method} {path}"
        assert response.json()["detail"] == "File not found."
    assert (await admin.get("/api/files")).json()["items"] == []
    assert (await user.get(f"/api/files/{mine}/content")).content == NOTES


async def test_deleting_removes_the_row_and_the_stored_bytes(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = (await upload(user)).json()
    assert (await user.delete(f"/api/files/{made['id']}")).status_code == 204
    assert blob_files(ctx) == [] and await file_rows(ctx) == 0
    assert (await user.get(f"/api/files/{made['id']}")).status_code == 404
    assert (await user.delete(f"/api/files/{made['id']}")).status_code == 404


async def test_deleting_an_account_removes_its_files_bytes(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    await upload(user)
    assert len(blob_files(ctx)) == 1
    assert (await admin.delete(f"/api/users/{user.user['id']}")).status_code == 204  # type: ignore[attr-defined]
    assert blob_files(ctx) == [] and await file_rows(ctx) == 0


async def test_a_blob_swapped_between_files_does_not_open(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    """Sealing binds each file's bytes to its row: someone with access to the storage cannot
    make one file serve another's content."""
    one = (await upload(user, b"first file", name="one.txt")).json()["id"]
    two = (await upload(user, b"second file", name="two.txt")).json()["id"]
    async with ctx.db.write() as session:
        first, second = await session.get(File, one), await session.get(File, two)
        assert first is not None and second is not None
        blob_one, blob_two = first.blob, second.blob
        first.blob = "0" * 32  # blob keys are unique: swap through a spare one
        await session.flush()
        second.blob = blob_one
        await session.flush()
        first.blob = blob_two
    async with ctx.db.read() as session:
        row = await session.get(File, one)
        cipher = await keys.cipher_for(session, ctx.sealer, user.user["id"])  # type: ignore[attr-defined]
    assert row is not None and row.blob == blob_two
    with pytest.raises(SealError):
        await file_service.read_all(ctx, cipher, row)
    download = await user.get(f"/api/files/{one}/content")
    assert download.status_code == 500
    assert "damaged or was altered" in download.json()["detail"]


async def test_ingestion_is_not_run_for_a_refused_upload(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    assert (await upload(user, b"x" * 5000)).status_code == 413
    assert await ingest.run_pending(ctx) == 0
