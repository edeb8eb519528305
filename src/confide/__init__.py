"""Confide: a self-hosted AI chat platform where the data people confide to it stays theirs."""

__version__ = "0.1.0"
