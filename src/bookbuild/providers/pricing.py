"""What OpenAI chat models cost, to report the cost of a call and forecast a build's.

The table holds standard-tier list prices in USD per million tokens, as published on
https://openai.com/api/pricing on the date in `PRICES_AS_OF`. Prices change: a preset's
`price: {input_per_mtok, output_per_mtok}` overrides the table, and a model missing from it
costs 0 with `price_known: false` (local OpenAI-compatible servers are free).
Cached-input discounts and the Batch API are not modelled: the figures are an upper bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PRICES_AS_OF = "2025-08-07"
PRICE_KEYS = frozenset({"input_per_mtok", "output_per_mtok"})


@dataclass(frozen=True)
class ChatPrice:
    """USD per million input (prompt) and output (completion, reasoning included) tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok
        ) / 1_000_000


CHAT_PRICES: dict[str, ChatPrice] = {
    "gpt-5": ChatPrice(1.25, 10.00),
    "gpt-5-mini": ChatPrice(0.25, 2.00),
    "gpt-5-nano": ChatPrice(0.05, 0.40),
    "gpt-4.1": ChatPrice(2.00, 8.00),
    "gpt-4.1-mini": ChatPrice(0.40, 1.60),
    "gpt-4.1-nano": ChatPrice(0.10, 0.40),
    "gpt-4o": ChatPrice(2.50, 10.00),
    "gpt-4o-mini": ChatPrice(0.15, 0.60),
    "o1": ChatPrice(15.00, 60.00),
    "o3": ChatPrice(2.00, 8.00),
    "o3-mini": ChatPrice(1.10, 4.40),
    "o4-mini": ChatPrice(1.10, 4.40),
    "gpt-4-turbo": ChatPrice(10.00, 30.00),
    "gpt-3.5-turbo": ChatPrice(0.50, 1.50),
}

TYPICAL_TOKENS: dict[str, tuple[int, int]] = {
    "write": (1_500, 1_200),
    "describe": (1_500, 150),
    "summarize": (1_500, 150),
}
"""Forecast of (input, output) tokens of one call per chat task."""

# A dated snapshot ("gpt-4o-mini-2024-07-18") or an old-style one ("gpt-3.5-turbo-0125").
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def base_model(model: str) -> str:
    """The model family of a snapshot name: `gpt-4o-mini-2024-07-18` -> `gpt-4o-mini`."""
    return _SNAPSHOT.sub("", model.strip().lower())


def chat_price(model: str | None, override: Mapping[str, float] | None = None) -> ChatPrice | None:
    """The price of `model` (a snapshot name is priced as its family); `override` wins, and a
    partial override keeps the table's other figure. None when the price is unknown."""
    listed = CHAT_PRICES.get(base_model(model)) if model else None
    if not override:
        return listed
    return ChatPrice(
        override.get("input_per_mtok", listed.input_per_mtok if listed else 0.0),
        override.get("output_per_mtok", listed.output_per_mtok if listed else 0.0),
    )


def forecast(task: str, price: ChatPrice | None) -> float:
    """USD one call of `task` typically costs at `price`; 0 when the price is unknown."""
    tokens = TYPICAL_TOKENS.get(task)
    if price is None or tokens is None:
        return 0.0
    return price.cost(*tokens)
