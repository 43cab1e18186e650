"""A turn's context from the page's settings: the deployment's, overridden by what the page sent.

Used by the response generator (`bot.nlg`) for every turn and by the REST channel
(`bot.channels`) for the turn it sends itself when the assistant cannot answer.
"""

from __future__ import annotations

from typing import Any, Sequence

from bot.settings import effective_contact, load_settings, page_settings_from
from bot.turns import TurnContext


def context_for(
    metadata: Any, nearby_topics: Sequence[str] = (), crisis_earlier: bool = False
) -> TurnContext:
    """The deployment's settings, overridden by the valid values the page sent as metadata."""
    settings = load_settings()
    page = page_settings_from(metadata)
    return TurnContext(
        settings=settings,
        contact=effective_contact(settings, page),
        region=page.region or settings.crisis_region,
        nearby_topics=tuple(nearby_topics),
        crisis_earlier=crisis_earlier,
    )
