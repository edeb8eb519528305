"""Log set-up: readable text for a terminal, or one JSON object per line for collectors."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from confide.settings import LogFormat, Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


SHARE_LINK = re.compile(r"(/s/|/api/shared/)[^/?#\s\"]+")


def redact_share_links(text: str) -> str:
    """A share link's secret opens the snapshot: it never goes into a log line."""
    return SHARE_LINK.sub(r"\1…", text)


class RedactShareLinks(logging.Filter):
    """Takes share-link secrets out of log records (the access log names every path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_share_links(a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_share_links(record.msg)
        return True


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactShareLinks())
    if settings.log_format is LogFormat.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
