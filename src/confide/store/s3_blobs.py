"""Uploaded files' sealed bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...).

Chosen by CONFIDE_STORAGE_URL=s3://bucket/prefix; imported only then (boto3 is heavy). boto3
is synchronous, so every call runs in a worker thread and the event loop never waits on the
network. The bytes arrive sealed: the bucket sees ciphertext under random names
(`<prefix>/<key[:2]>/<key>`), never a user's file name or content.

A write streams: parts of `part_bytes` go up as they fill (one PutObject when the whole blob
fits in one part), and any error, the caller's iterator raising included, aborts the upload,
so nothing half-written ever appears under a key. A read holds one piece at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from confide.store.blobs import READ_BYTES, StorageError, check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

    from confide.settings import Settings

log = logging.getLogger("confide.storage")

PART_BYTES = 8 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024  # S3 refuses smaller parts (all but the last)
MISSING = frozenset({"NoSuchKey", "NotFound", "404"})
REFUSED = frozenset(
    {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}
)


class S3Blobs:
    """Blobs as objects in one bucket; the same contract as `LocalBlobs`."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        part_bytes: int = PART_BYTES,
        where: str = "AWS S3",
    ) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"parts must be at least {MIN_PART_BYTES} bytes")
        self._client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_bytes = part_bytes
        self.where = where  # for messages: the endpoint, or AWS

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Blobs:
        endpoint = settings.storage_endpoint
        client = _client(
            endpoint=endpoint,
            region=settings.storage_region,
            key_id=settings.storage_access_key_id,
            secret=settings.storage_secret_access_key.get_secret_value(),
        )
        where = endpoint or f"AWS S3 ({settings.storage_region or 'default region'})"
        return cls(client, settings.storage_bucket, settings.storage_prefix, where=where)

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key[:2]}/{key}" if self.prefix else f"{key[:2]}/{key}"

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store `chunks` under `key`; answers the bytes written. On any error (including the
        caller's iterator raising) nothing is left behind."""
        name = self._name(key)
        pending = bytearray()
        written = 0
        upload: _Upload | None = None
        try:
            async for chunk in chunks:
                pending += chunk
                written += len(chunk)
                while len(pending) > self.part_bytes:  # so the last part is never empty
                    upload = upload or await self._start(name)
                    await upload.add(bytes(pending[: self.part_bytes]))
                    del pending[: self.part_bytes]
            if upload is None:
                await asyncio.to_thread(
                    self._client.put_object, Bucket=self.bucket, Key=name, Body=bytes(pending)
                )
            else:
                await upload.add(bytes(pending))
                await upload.finish()
        except BaseException:
            if upload is not None:
                await upload.abort()
            raise
        return written

    async def _start(self, name: str) -> _Upload:
        answer = await asyncio.to_thread(
            self._client.create_multipart_upload, Bucket=self.bucket, Key=name
        )
        return _Upload(self._client, self.bucket, name, answer["UploadId"])

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The blob's bytes, a piece at a time; FileNotFoundError when there is none."""
        name = self._name(key)
        try:
            answer = await asyncio.to_thread(self._client.get_object, Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise FileNotFoundError(f"no blob {key}") from None
            raise
        body = answer["Body"]
        try:
            while piece := await asyncio.to_thread(body.read, READ_BYTES):
                yield piece
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        """Remove the blob (nothing to do when it is already gone)."""
        name = self._name(key)
        try:
            await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _code(exc) not in MISSING:  # S3 answers 204 anyway; some look-alikes 404
                raise

    def check(self) -> None:
        """StorageError, in one line for the operator, unless the bucket answers to us.
        Blocking: called before the server starts."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            raise StorageError(self._refusal(exc)) from None
        except NoCredentialsError:
            raise StorageError(
                "no credentials for the object store: set CONFIDE_STORAGE_ACCESS_KEY_ID and "
                "CONFIDE_STORAGE_SECRET_ACCESS_KEY, or give boto3 its default credentials"
            ) from None
        except BotoCoreError as exc:
            raise StorageError(
                f"cannot reach the object store at {self.where} (CONFIDE_STORAGE_ENDPOINT): "
                + " ".join(str(exc).split())
            ) from None

    def _refusal(self, exc: ClientError) -> str:
        code = _code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
        bucket = f"bucket {self.bucket!r} at {self.where}"
        if code in {"404", "NoSuchBucket"}:
            return f"{bucket} does not exist: create it, or fix CONFIDE_STORAGE_URL"
        if code in REFUSED:
            return (
                f"{bucket} refused access (HTTP {status}): check CONFIDE_STORAGE_ACCESS_KEY_ID, "
                "CONFIDE_STORAGE_SECRET_ACCESS_KEY and the bucket's policy"
            )
        if code in {"301", "400", "PermanentRedirect", "AuthorizationHeaderMalformed"}:
            return f"{bucket} answered HTTP {status}: check CONFIDE_STORAGE_REGION"
        return f"{bucket} answered HTTP {status} ({code}): it cannot be used for files"


@dataclass
class _Upload:
    """One multipart upload in progress."""

    client: S3Client
    bucket: str
    name: str
    upload_id: str
    parts: list[CompletedPartTypeDef] = field(default_factory=list)

    async def add(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = await asyncio.to_thread(
            self.client.upload_part,
            Bucket=self.bucket,
            Key=self.name,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"ETag": answer["ETag"], "PartNumber": number})

    async def finish(self) -> None:
        await asyncio.to_thread(
            self.client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=self.name,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    async def abort(self) -> None:
        """Drop the parts sent so far. The thread runs to the end even when the task is
        cancelled again meanwhile; a failure is logged, not raised over the original error."""
        try:
            await asyncio.to_thread(
                self.client.abort_multipart_upload,
                Bucket=self.bucket,
                Key=self.name,
                UploadId=self.upload_id,
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning(
                "could not abort the upload of %s (%s): the bucket's lifecycle rule for "
                "incomplete multipart uploads removes its parts",
                self.name,
                " ".join(str(exc).split()),
            )


@functools.lru_cache(maxsize=8)
def _client(*, endpoint: str, region: str, key_id: str, secret: str) -> S3Client:
    """A client of its own session (boto3's default session is not thread-safe). Clients are
    thread-safe and take a fifth of a second to make, so one is shared per configuration: the
    start check and the running app use the same one."""
    custom = bool(endpoint)
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=32,
        # Look-alikes (MinIO, Ceph, R2, ...) serve buckets by path, and not all of them take
        # the checksums newer boto3 adds to every request; integrity is the sealing's job.
        s3={"addressing_style": "path"} if custom else None,
        request_checksum_calculation="when_required" if custom else "when_supported",
        response_checksum_validation="when_required" if custom else "when_supported",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or None,
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        config=config,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
