"""Profile pictures: upload (PNG, JPEG, WebP, by their bytes), replace, remove, serve, and
everything refused: other formats, broken headers, huge sizes, big or empty files, and any
attempt on someone else's picture."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confide.db.tables import Avatar
from confide.security.images import ImageRejected, inspect_image, strip_metadata
from confide.services.context import Context
from tests.conftest import new_client, signup
from tests.fakes import images

PATH = "/api/auth/me/avatar"
GOOD = {
    "png": (images.png(3, 5), "image/png", (3, 5)),
    "jpeg": (images.jpeg(640, 480), "image/jpeg", (640, 480)),
    "webp lossy": (images.webp_lossy(16, 9), "image/webp", (16, 9)),
    "webp lossless": (images.webp_lossless(4096, 1), "image/webp", (4096, 1)),
    "webp extended": (images.webp_extended(300, 200), "image/webp", (300, 200)),
}
PNG = images.png()
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
REFUSED = {
    "svg": (SVG, 415, "SVG"),
    "svg without a prolog": (b"  <svg><script>alert(1)</script></svg>", 415, "SVG"),
    "html": (b"<!DOCTYPE html><script>alert(1)</script>", 415, "HTML"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 415, "GIF"),
    "garbage": (b"\x00\x01 definitely not a picture", 415, "PNG, JPEG or WebP"),
    "empty": (b"", 400, "empty"),
    "truncated png": (PNG[:20], 400, "damaged"),
    "png with a bad header checksum": (PNG[:29] + b"\x00\x00\x00\x00" + PNG[33:], 400, "damaged"),
    "jpeg without a frame header": (b"\xff\xd8\xff\xe0\x00\x04ab\xff\xd9", 400, "damaged"),
    "jpeg with zero height": (images.jpeg(10, 0), 400, "pixels"),
    "truncated webp": (images.webp_lossy()[:24], 400, "damaged"),
    "webp of another kind": (images.webp_lossy().replace(b"VP8 ", b"ALPH"), 400, "damaged"),
    "png too wide": (images.png(4097, 1), 400, "4096"),
    "jpeg too tall": (images.jpeg(10, 60000), 400, "4096"),
    "webp too big": (images.webp_extended(5000, 5000), 400, "4096"),
    "png of zero width": (images.png(0, 3), 400, "pixels"),
}


async def put(c: httpx.AsyncClient, data: bytes, content_type: str = "image/png") -> Any:
    return await c.put(PATH, content=data, headers={"content-type": content_type})


@pytest.mark.parametrize("name", list(GOOD))
def test_the_header_parser_reads_type_and_size(name: str) -> None:
    data, content_type, (width, height) = GOOD[name]
    info = inspect_image(data, max_side=4096)
    assert (info.content_type, info.width, info.height) == (content_type, width, height)


def test_a_jpeg_with_fill_bytes_and_restart_markers_before_its_frame_is_read() -> None:
    data = images.jpeg(7, 9)
    padded = data[:2] + b"\xff\xd0" + data[2:20] + b"\xff" + data[20:]
    assert inspect_image(padded, max_side=4096).width == 7


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_header_parser_refuses(name: str) -> None:
    data, status, _ = REFUSED[name]
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data, max_side=4096)
    assert caught.value.unsupported is (status == 415)


@pytest.mark.parametrize("name", list(GOOD))
async def test_upload_then_anyone_signed_in_sees_it(
    name: str, user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    data, content_type, _ = GOOD[name]
    # The declared type is ignored: the bytes say what it is.
    response = await put(user, data, "application/octet-stream")
    assert response.status_code == 200, response.text
    url = response.json()["avatar_url"]
    me = (await user.get("/api/auth/me")).json()
    assert me["avatar_url"] == url
    assert url.startswith(f"/api/users/{me['id']}/avatar?v=")
    for c in (user, admin):
        got = await c.get(url)
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-type"] == content_type


async def test_the_picture_is_served_safely_and_cached_privately(user: httpx.AsyncClient) -> None:
    url = (await put(user, PNG, "image/svg+xml")).json()["avatar_url"]
    got = await user.get(url)
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'"
    assert got.headers["content-disposition"] == 'inline; filename="avatar"'
    assert got.headers["cache-control"].startswith("private, max-age=")
    etag = got.headers["etag"]
    assert etag.strip('"') == url.rsplit("v=", 1)[1]
    again = await user.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_replace_and_remove(user: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    first = (await put(user, PNG)).json()["avatar_url"]
    second = (await put(user, images.jpeg(), "image/jpeg")).json()["avatar_url"]
    assert second != first
    assert (await user.get(second)).headers["content-type"] == "image/jpeg"
    listed = (await admin.get("/api/users")).json()["items"]
    assert {u["email"]: u["avatar_url"] for u in listed}["user@example.com"] == second
    assert (await user.delete(PATH)).status_code == 204
    assert (await user.get("/api/auth/me")).json()["avatar_url"] is None
    gone = await user.get(second)
    assert gone.status_code == 404
    assert gone.json()["detail"] == "This user has no profile picture."
    assert (await user.delete(PATH)).status_code == 204  # nothing left: still fine


async def test_users_without_a_picture_and_unknown_users_get_404(
    user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    assert (await admin.get("/api/auth/me")).json()["avatar_url"] is None
    assert (await user.get(f"/api/users/{admin.user['id']}/avatar")).status_code == 404  # type: ignore[attr-defined]
    assert (await user.get("/api/users/nobody/avatar")).status_code == 404


@pytest.mark.parametrize("name", list(REFUSED))
async def test_refused_uploads_say_why_and_change_nothing(
    name: str, user: httpx.AsyncClient
) -> None:
    data, status, words = REFUSED[name]
    kept = (await put(user, PNG)).json()["avatar_url"]
    response = await put(user, data, "image/png")
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert (await user.get("/api/auth/me")).json()["avatar_url"] == kept


async def test_a_picture_over_512_kb_is_refused_before_it_is_read(user: httpx.AsyncClient) -> None:
    big = images.png() + b"\x00" * (512 * 1024)
    response = await put(user, big)
    assert response.status_code == 413
    assert "524288 bytes" in response.json()["detail"]  # 512 KB

    async def endless() -> Any:  # no Content-Length: counted as it streams in
        for _ in range(100):
            yield b"\x00" * 65536

    streamed = await user.put(PATH, content=endless(), headers={"content-type": "image/png"})
    assert streamed.status_code == 413
    assert (await user.get("/api/auth/me")).json()["avatar_url"] is None


async def test_exactly_512_kb_is_accepted(user: httpx.AsyncClient) -> None:
    data = PNG + b"\x00" * (512 * 1024 - len(PNG))  # trailing bytes after IEND
    assert (await put(user, data)).status_code == 200


async def test_only_my_own_picture_can_change(
    app: Any, user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    """The routes take no user id: another user's request changes their own picture only."""
    mine = (await put(admin, PNG)).json()["avatar_url"]
    admin_id = admin.user["id"]  # type: ignore[attr-defined]
    other = f"/api/users/{admin_id}/avatar"
    image = {"content-type": "image/png"}
    assert (await user.put(other, content=PNG, headers=image)).status_code in (405, 415)
    assert (await user.delete(other)).status_code == 405
    # An id smuggled in the query is not read: B's request sets B's own picture.
    smuggled = await user.put(PATH, content=PNG, params={"user_id": admin_id}, headers=image)
    assert smuggled.json()["id"] == user.user["id"]  # type: ignore[attr-defined]
    await user.delete(PATH, params={"user_id": admin_id})
    assert (await admin.get("/api/auth/me")).json()["avatar_url"] == mine
    assert (await admin.get(mine)).content == PNG


async def test_who_may_see_and_set_pictures(app: Any, user: httpx.AsyncClient) -> None:
    url = (await put(user, PNG)).json()["avatar_url"]
    async with new_client(app) as anonymous:
        assert (await anonymous.get(url)).status_code == 401
        assert (await put(anonymous, PNG)).status_code == 401
        pending = await signup(anonymous, "pending@example.com", name="Pat")
        assert (await anonymous.get(url)).status_code == 403
        # A pending account may set its own picture, like its name.
        set_own = await put(anonymous, images.png(1, 1))
        assert set_own.status_code == 200
        assert set_own.json()["id"] == pending["id"]


async def test_csrf_is_still_required_for_a_raw_body(user: httpx.AsyncClient) -> None:
    user.headers.pop("x-confide-csrf")
    try:
        response = await put(user, PNG)
    finally:
        user.headers["x-confide-csrf"] = "1"
    assert response.status_code == 403
    assert (await user.get("/api/auth/me")).json()["avatar_url"] is None


async def test_changes_are_audited_without_the_picture(
    ctx: Context, user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await put(user, images.png(7, 8))
    await user.delete(PATH)
    log = (await admin.get("/api/audit", params={"limit": 200})).json()["items"]
    events = {e["action"]: e for e in log}
    changed = events["account.avatar_changed"]
    assert changed["detail"]["content_type"] == "image/png"
    assert (changed["detail"]["width"], changed["detail"]["height"]) == (7, 8)
    assert "account.avatar_removed" in events
    async with ctx.db.read() as session:
        assert (await session.scalars(select(Avatar))).all() == []


async def test_deleting_the_account_deletes_the_picture(
    ctx: Context, user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await put(user, PNG)
    deleted = await admin.delete(f"/api/users/{user.user['id']}")  # type: ignore[attr-defined]
    assert deleted.status_code == 204
    async with ctx.db.read() as session:
        assert (await session.scalars(select(Avatar))).all() == []


# --- metadata --------------------------------------------------------------------------------

GPS = b"GPS 38.7223 N 9.1393 W"  # stands for the place a photo was taken


def _png_with_metadata() -> bytes:
    plain = images.png(3, 3)
    iend = plain.index(b"IEND") - 4
    extra = b"".join(
        images.png_chunk(kind, GPS) for kind in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME")
    )
    return plain[:iend] + extra + plain[iend:]


def _jpeg_with_metadata() -> bytes:
    plain = images.jpeg(8, 8)
    exif = b"\xff\xe1" + (len(GPS) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + GPS
    iptc = b"\xff\xed" + (len(GPS) + 2).to_bytes(2, "big") + GPS
    comment = b"\xff\xfe" + (len(GPS) + 2).to_bytes(2, "big") + GPS
    return plain[:2] + exif + plain[2:-2] + iptc + comment + b"\xff\xda\x00\x02" + b"\xff\xd9"


def _webp_with_metadata() -> bytes:
    plain = images.webp_extended(8, 8)
    body = plain[12:]
    flagged = body[:8] + bytes([body[8] | 0x0C]) + body[9:]
    extra = b"EXIF" + len(GPS).to_bytes(4, "little") + GPS + b"XMP " + (3).to_bytes(4, "little")
    payload = b"WEBP" + flagged + extra + b"<x>\x00"
    return b"RIFF" + len(payload).to_bytes(4, "little") + payload


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (_png_with_metadata, "image/png"),
        (_jpeg_with_metadata, "image/jpeg"),
        (_webp_with_metadata, "image/webp"),
    ],
    ids=["png", "jpeg", "webp"],
)
def test_metadata_is_stripped_and_the_picture_kept(make: Any, content_type: str) -> None:
    data = make()
    assert GPS in data
    stripped = strip_metadata(data, content_type)
    assert GPS not in stripped
    info = inspect_image(stripped, max_side=4096)
    side = 3 if content_type == "image/png" else 8
    assert (info.content_type, info.width, info.height) == (content_type, side, side)
    assert strip_metadata(stripped, content_type) == stripped  # nothing left to strip


def test_stripping_keeps_colour_profiles_and_refuses_broken_files() -> None:
    plain = images.jpeg(4, 4)
    icc = b"\xff\xe2\x00\x10ICC_PROFILE\x00\x01\x01"
    with_icc = plain[:2] + icc + plain[2:]
    assert icc in strip_metadata(with_icc, "image/jpeg")
    webp = _webp_with_metadata()
    assert strip_metadata(webp, "image/webp")[20] & 0x0C == 0  # VP8X no longer announces them
    for data, kind in [
        (PNG[:40], "image/png"),
        (plain[:2] + b"\xff\xe1\xff\xff", "image/jpeg"),
        (webp[:25], "image/webp"),
    ]:
        with pytest.raises(ImageRejected):
            strip_metadata(data, kind)


async def test_an_uploaded_photo_is_served_without_its_metadata(user: httpx.AsyncClient) -> None:
    response = await put(user, _jpeg_with_metadata())
    assert response.status_code == 200, response.text
    served = await user.get(response.json()["avatar_url"])
    assert GPS not in served.content and served.content.startswith(b"\xff\xd8")
