"""Usage ranges at the edges of the calendar (found by the schema fuzzing)."""

from __future__ import annotations

import httpx


async def test_a_range_ending_on_the_first_day_of_the_calendar(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    # The default start (29 days before `until`) would fall before 0001-01-01: it was a 500.
    mine = await user.get("/api/usage", params={"until": "0001-01-01"})
    assert mine.status_code == 200, mine.text
    assert mine.json() == []
    totals = await admin.get("/api/usage/totals", params={"until": "0001-01-10"})
    assert totals.status_code == 200, totals.text
    assert totals.json() == []


async def test_a_range_at_the_last_day_of_the_calendar(user: httpx.AsyncClient) -> None:
    response = await user.get("/api/usage", params={"since": "9999-12-01", "until": "9999-12-31"})
    assert response.status_code == 200, response.text
