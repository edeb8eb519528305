"""What only the S3 store does: uploads in parts, the store chosen by the settings (boto3 not
even imported for local disk), and the start check that names what is wrong in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from confide.settings import Settings
from confide.store.blobs import LocalBlobs, StorageError, blob_store, check_storage, new_key
from confide.store.s3_blobs import MIN_PART_BYTES, PART_BYTES, S3Blobs
from tests.conftest import S3_SECRET, new_bucket, s3_client, s3_settings


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


def s3_store(endpoint: str, bucket: str) -> S3Blobs:
    store = blob_store(Settings(**s3_settings(endpoint, bucket)))
    assert isinstance(store, S3Blobs)
    return store


@pytest.mark.parametrize(
    ("size", "parts"),
    [(0, 0), (1000, 0), (PART_BYTES, 0), (PART_BYTES + 1, 2), (3 * PART_BYTES + 5, 4)],
)
async def test_a_blob_goes_up_in_parts_of_eight_mib_or_in_one_piece(
    s3_endpoint: str, size: int, parts: int
) -> None:
    bucket = new_bucket(s3_endpoint)
    store, key, data = s3_store(s3_endpoint, bucket), new_key(), os.urandom(size)
    assert await store.write(key, pieces(data, 1 << 20)) == size
    stored = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=f"confide/{key[:2]}/{key}")
    assert stored["Body"].read() == data
    # A multipart object's ETag ends in "-<number of parts>"; a single PutObject's does not.
    etag = stored["ETag"].strip('"')
    assert (etag.rpartition("-")[2] if "-" in etag else "0") == str(parts)


def test_parts_smaller_than_s3_allows_are_refused(s3_endpoint: str) -> None:
    with pytest.raises(ValueError, match="at least"):
        S3Blobs(s3_client(s3_endpoint), "bucket", part_bytes=MIN_PART_BYTES - 1)


def test_files_stay_on_local_disk_without_a_storage_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = blob_store(settings)
    assert isinstance(store, LocalBlobs) and store.root == tmp_path / "files"
    check_storage(settings)  # nothing to check


def test_local_disk_does_not_import_boto3(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from confide.settings import Settings\n"
        "from confide.store.blobs import blob_store, check_storage\n"
        f"settings = Settings(data_dir={str(tmp_path)!r})\n"
        "blob_store(settings); check_storage(settings)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_start_check_passes_for_a_reachable_bucket(s3_endpoint: str) -> None:
    check_storage(Settings(**s3_settings(s3_endpoint, new_bucket(s3_endpoint))))


def one_line(settings: Settings) -> str:
    with pytest.raises(StorageError) as caught:
        check_storage(settings)
    message = str(caught.value)
    assert "\n" not in message and S3_SECRET not in message
    return message


def test_a_missing_bucket_stops_the_start(s3_endpoint: str) -> None:
    message = one_line(Settings(**s3_settings(s3_endpoint, "no-such-bucket-here")))
    assert message == (
        f"bucket 'no-such-bucket-here' at {s3_endpoint} does not exist: create it, or fix "
        "CONFIDE_STORAGE_URL"
    )


def test_an_unreachable_endpoint_stops_the_start() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    message = one_line(Settings(**s3_settings(endpoint, "confide-files")))
    assert message.startswith(
        f"cannot reach the object store at {endpoint} (CONFIDE_STORAGE_ENDPOINT): "
    )


class Refusing(BaseHTTPRequestHandler):
    """An object store that refuses these credentials (as S3 does: 403, no body for HEAD)."""

    def do_HEAD(self) -> None:
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refused_credentials_stop_the_start(refusing_endpoint: str) -> None:
    message = one_line(Settings(**s3_settings(refusing_endpoint, "confide-files")))
    assert message == (
        f"bucket 'confide-files' at {refusing_endpoint} refused access (HTTP 403): check "
        "CONFIDE_STORAGE_ACCESS_KEY_ID, CONFIDE_STORAGE_SECRET_ACCESS_KEY and the bucket's policy"
    )


def test_no_credentials_anywhere_stops_the_start(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    overrides = s3_settings(s3_endpoint, new_bucket(s3_endpoint))
    overrides |= {"storage_access_key_id": "", "storage_secret_access_key": ""}
    message = one_line(Settings(**overrides))
    assert message.startswith("no credentials for the object store: set CONFIDE_STORAGE_")
