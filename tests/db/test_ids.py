"""Row ids: 32 hex characters, in the order they were made, even within one millisecond."""

from __future__ import annotations

from confide.db.ids import is_id, new_id


def test_ids_made_together_keep_their_order() -> None:
    made = [new_id() for _ in range(20_000)]  # many share a millisecond
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(is_id(i) for i in made)
