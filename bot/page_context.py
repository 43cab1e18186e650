"""A turn's context from the page's settings: the deployment's, overridden by what the page sent.

The clinic's own answers (bot/clinic_answers.py) come only from the deployment; this is where a
conversation is given them, when its clinic is the one they belong to.

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
    contact = effective_contact(settings, page)
    answers = settings.clinic_answers
    return TurnContext(
        settings=settings,
        contact=contact,
        region=page.region or settings.crisis_region,
        nearby_topics=tuple(nearby_topics),
        crisis_earlier=crisis_earlier,
        # The clinic's own answers are the deployment's: a page cannot send or change them, and
        # a page that names another clinic does not get them.
        clinic_answers=answers if answers.apply_to(contact.name) else None,
    )
