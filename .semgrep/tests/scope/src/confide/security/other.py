# ruff: noqa
# fmt: off
# Another security module is not the SSRF guard: flagged.
# ruleid: confide-http-client-outside-providers
import aiohttp
