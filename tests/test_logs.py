"""Log lines never carry a share link's secret."""

from __future__ import annotations

import logging

from confide.logs import RedactShareLinks, redact_share_links

TOKEN = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"


def test_share_links_are_redacted() -> None:
    assert redact_share_links(f"GET /s/{TOKEN} HTTP/1.1") == "GET /s/… HTTP/1.1"
    assert redact_share_links(f"/api/shared/{TOKEN}?x=1") == "/api/shared/…?x=1"
    assert redact_share_links("/api/shares/01abc") == "/api/shares/01abc"  # an id, no secret


def test_the_access_log_record_is_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/shared/{TOKEN}", "1.1", 200),
        None,
    )
    assert RedactShareLinks().filter(record)
    assert TOKEN not in record.getMessage()
    assert "/api/shared/…" in record.getMessage()
