"""Picking the highest scores (rag/vectors.py `highest`): the same places, in the same order,
as sorting every score, whether the sampled bar is used (many scores) or not (few), with ties
and with a sample that holds every high score."""

from __future__ import annotations

import numpy as np
import pytest

from confide.rag.vectors import highest


def sorted_best(scores: np.ndarray, count: int) -> list[int]:
    return [int(i) for i in np.argsort(-scores, kind="stable")[:count]]


@pytest.mark.parametrize("size", [0, 1, 49, 50, 3_199, 3_201, 100_000])
@pytest.mark.parametrize("count", [1, 50])
def test_the_highest_scores_are_those_a_full_sort_finds(size: int, count: int) -> None:
    scores = np.random.default_rng(size + count).standard_normal(size).astype(np.float32)
    assert highest(scores, count).tolist() == sorted_best(scores, count)


def test_equal_scores_keep_their_order_and_a_crafted_sample_changes_nothing() -> None:
    ties = np.repeat(np.arange(1000, dtype=np.float32), 20)[::-1].copy()  # 20,000, in runs
    assert highest(ties, 50).tolist() == sorted_best(ties, 50)
    spikes = np.zeros(20_000, dtype=np.float32)
    spikes[::16] = np.linspace(1, 2, len(spikes[::16]), dtype=np.float32)  # only the sample
    spikes[5] = 3.0  # and one outside it, the best of all
    assert highest(spikes, 50).tolist() == sorted_best(spikes, 50)
    assert highest(spikes, 0).tolist() == []
