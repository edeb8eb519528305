"""Time-based one-time passwords (RFC 6238, the authenticator-app kind) and recovery codes.

The secret is 20 random bytes (160 bits, RFC 4226's recommendation), shown to the user once as
base32 and as an `otpauth://` QR code. Codes are 6 digits from HMAC-SHA1 over 30-second steps;
a code is accepted one step either side of now (clock drift), and never twice: the caller
remembers the last step used and passes it back. Recovery codes carry 80 random bits each, so
storing their SHA-256 is enough (no offline guessing can reach 2^80).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

import segno

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud safely
_RECOVERY_LENGTH = 16  # 16 characters of a 31-letter alphabet: over 79 bits


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """The secret as an authenticator app takes it typed in: base32, no padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret_text(secret), "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


def qr_rows(text: str) -> list[str]:
    """The QR code of `text` as rows of '1' (dark) and '0' (light), quiet zone included, for
    the web app to draw as SVG rectangles (no image markup crosses the API)."""
    code = segno.make(text, error="m", micro=False)
    return ["".join("1" if cell else "0" for cell in row) for row in code.matrix_iter(border=4)]


def step_at(now: float) -> int:
    return int(now // STEP_SECONDS)


def code_at(secret: bytes, step: int) -> str:
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def looks_like_code(text: str) -> bool:
    digits = text.replace(" ", "")
    return len(digits) == DIGITS and digits.isascii() and digits.isdigit()


def verify(secret: bytes, code: str, *, last_step: int, now: float | None = None) -> int | None:
    """The step `code` belongs to when it is valid now and newer than `last_step`, else None."""
    if not looks_like_code(code):
        return None
    code = code.replace(" ", "")
    current = step_at(time.time() if now is None else now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """Codes shaped `xxxx-xxxx-xxxx-xxxx`, to be shown once."""
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def recovery_hash(code: str) -> str:
    """How a recovery code is stored and compared: case, spaces and dashes do not matter."""
    clean = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def looks_like_recovery_code(text: str) -> bool:
    clean = "".join(c for c in text.lower() if c.isalnum())
    return len(clean) == _RECOVERY_LENGTH and all(c in _RECOVERY_ALPHABET for c in clean)
