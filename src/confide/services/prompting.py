"""What a model is sent: the preset's system prompt first, then as much recent history as
fits the context budget (oldest messages dropped first, the newest user message always kept).

Token counts are estimated (about four characters a token): remote models count their own
tokens, and the budget is a ceiling well under their limits, not an exact fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from confide.providers.base import ChatMessage, GenerationParams

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # role markers and separators, per message


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + MESSAGE_OVERHEAD


def build_messages(
    system_prompt: str | None, history: Sequence[ChatMessage], budget_tokens: int
) -> tuple[ChatMessage, ...]:
    """System prompt (always) + the longest suffix of `history` within the budget."""
    lead = (ChatMessage("system", system_prompt),) if system_prompt else ()
    remaining = budget_tokens - sum(estimate_tokens(m.content) for m in lead)
    kept: list[ChatMessage] = []
    for message in reversed(history):
        cost = estimate_tokens(message.content)
        if kept and cost > remaining:
            break
        kept.append(message)
        remaining -= cost
    return lead + tuple(reversed(kept))


def merge_params(preset: GenerationParams, asked: GenerationParams | None) -> GenerationParams:
    """The request's own parameters win over the preset's, field by field."""
    if asked is None:
        return preset
    return GenerationParams(
        temperature=asked.temperature if asked.temperature is not None else preset.temperature,
        top_p=asked.top_p if asked.top_p is not None else preset.top_p,
        max_tokens=asked.max_tokens if asked.max_tokens is not None else preset.max_tokens,
        stop=asked.stop or preset.stop,
        seed=asked.seed if asked.seed is not None else preset.seed,
    )
