"""Where and how to reach one upstream model server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str  # e.g. "http://127.0.0.1:11434" (Ollama) or "https://api.example/v1"
    api_key: str | None = None  # sent only to base_url's own host, never across a redirect
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # longest silence tolerated between two chunks

    def __repr__(self) -> str:  # never print the key
        key = "set" if self.api_key else "none"
        return f"Endpoint({self.base_url!r}, api_key={key})"
