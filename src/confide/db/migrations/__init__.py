"""Alembic migrations. `HEAD` names the newest revision; a test keeps it true."""

HEAD = "0013"
