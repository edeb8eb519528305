"""`/api/files` with CONFIDE_STORAGE_URL=s3://...: the same files API, the bytes in a bucket
(a real S3-compatible server, moto, on 127.0.0.1). The bucket holds only ciphertext under
random names; a refused upload leaves no object and no upload in progress; deleting a file or
an account removes its objects; an object swapped inside the bucket does not open."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services.context import Context
from confide.store.s3_blobs import PART_BYTES, S3Blobs
from tests.api.test_files import NOTES, file_rows, upload
from tests.conftest import new_bucket, object_names, s3_client, s3_settings

LIMIT = PART_BYTES + (4 << 20)  # room for a file of two parts


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    return new_bucket(s3_endpoint)


@pytest.fixture
def settings_overrides(s3_endpoint: str, bucket: str) -> dict[str, Any]:
    return s3_settings(s3_endpoint, bucket, prefix="uploads") | {"file_max_bytes": LIMIT}


def leftovers(endpoint: str, bucket: str) -> list[str]:
    pending = s3_client(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return object_names(endpoint, bucket) + [f"upload:{u['Key']}" for u in pending]


def stored_bytes(endpoint: str, bucket: str, name: str) -> bytes:
    return s3_client(endpoint).get_object(Bucket=bucket, Key=name)["Body"].read()


async def test_a_file_is_sealed_in_the_bucket_and_goes_with_its_file(
    user: httpx.AsyncClient, ctx: Context, s3_endpoint: str, bucket: str
) -> None:
    assert isinstance(ctx.blobs, S3Blobs)
    response = await upload(user)
    assert response.status_code == 201, response.text
    made = response.json()
    [name] = object_names(s3_endpoint, bucket)
    prefix, shard, key = name.split("/")
    assert (prefix, shard, len(key)) == ("uploads", key[:2], 32)
    assert made["id"] not in name and "notes" not in name
    stored = stored_bytes(s3_endpoint, bucket, name)
    assert len(stored) > len(NOTES)  # sealed: a nonce and a tag per segment
    for plain in (b"Quokka", b"merger", b"Escrow", b"41 million", b"notes.md"):
        assert plain not in stored
    assert not ctx.settings.files_dir.exists()  # nothing on local disk

    download = await user.get(f"/api/files/{made['id']}/content")
    assert download.status_code == 200
    assert download.content == NOTES

    assert (await user.delete(f"/api/files/{made['id']}")).status_code == 204
    assert leftovers(s3_endpoint, bucket) == [] and await file_rows(ctx) == 0
    assert (await user.get(f"/api/files/{made['id']}/content")).status_code == 404


async def test_a_file_of_several_parts_comes_back_byte_for_byte(
    user: httpx.AsyncClient, s3_endpoint: str, bucket: str
) -> None:
    data = os.urandom(LIMIT - 1000)
    response = await upload(user, data, name="large.bin")
    assert response.status_code == 201, response.text
    [name] = object_names(s3_endpoint, bucket)
    head = s3_client(s3_endpoint).head_object(Bucket=bucket, Key=name)
    assert head["ETag"].strip('"').endswith("-2")  # went up in two parts
    download = await user.get(f"/api/files/{response.json()['id']}/content")
    assert download.status_code == 200
    assert download.content == data


async def test_an_upload_cut_off_after_a_part_went_up_leaves_nothing(
    user: httpx.AsyncClient, ctx: Context, s3_endpoint: str, bucket: str
) -> None:
    boundary = "b0undary"

    async def body() -> AsyncIterator[bytes]:  # no length: refused only once past the limit
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        for _ in range(LIMIT // (1 << 20) + 2):
            yield os.urandom(1 << 20)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await user.post(
        "/api/files",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert leftovers(s3_endpoint, bucket) == [] and await file_rows(ctx) == 0


async def test_deleting_an_account_removes_its_objects(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, s3_endpoint: str, bucket: str
) -> None:
    await upload(admin, b"the admin's own", name="admin.txt")
    admins = object_names(s3_endpoint, bucket)
    await upload(user)
    await upload(user, b"another", name="another.txt")
    assert len(object_names(s3_endpoint, bucket)) == 3
    assert (await admin.delete(f"/api/users/{user.user['id']}")).status_code == 204  # type: ignore[attr-defined]
    assert object_names(s3_endpoint, bucket) == admins  # the admin's file stays


async def test_an_object_swapped_inside_the_bucket_does_not_open(
    user: httpx.AsyncClient, s3_endpoint: str, bucket: str
) -> None:
    """Whoever can write to the bucket cannot make one file serve another's bytes."""
    one = (await upload(user, b"first file", name="one.txt")).json()["id"]
    first_name = object_names(s3_endpoint, bucket)[0]
    await upload(user, b"second file", name="two.txt")
    [second_name] = [n for n in object_names(s3_endpoint, bucket) if n != first_name]
    s3_client(s3_endpoint).put_object(
        Bucket=bucket, Key=first_name, Body=stored_bytes(s3_endpoint, bucket, second_name)
    )
    download = await user.get(f"/api/files/{one}/content")
    assert download.status_code == 500
    assert "damaged or was altered" in download.json()["detail"]
