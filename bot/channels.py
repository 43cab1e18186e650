"""Rasa's REST channel, unchanged in protocol, with the guarantees a clinic needs on every turn.

Registered in `credentials.yml` under its module path; its name is `rest`, so it serves Rasa's
standard `POST /webhooks/rest/webhook` and any Rasa client works with it.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.nlg import context_for
from bot.settings import load_settings
from bot.turns import unavailable_turn

logger = logging.getLogger(__name__)

MessageHandler = Callable[[UserMessage], Awaitable[Any]]


class WholeTurnCollector(CollectingOutputChannel):
    """Keeps each response as one message; Rasa's collector splits text at blank lines."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class ClinicRestInput(RestInput):
    """REST channel that limits input and never returns a turn without the notice."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        return super().blueprint(guarded(on_new_message))


def guarded(on_new_message: MessageHandler) -> MessageHandler:
    """Wraps the agent's handler: input limit, errors contained, no silent turn."""

    async def handle(message: UserMessage) -> None:
        limit = load_settings().max_message_chars
        if message.text and len(message.text) > limit:
            message.text = message.text[:limit]
        rest_collector = message.output_channel
        if type(rest_collector) is not CollectingOutputChannel:  # e.g. streaming: leave as is
            await on_new_message(message)
            return
        turn = WholeTurnCollector()
        message.output_channel = turn
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - a visitor must still get an answer
            # The type only: exception texts can quote the visitor's message.
            logger.error("Handling a message failed: %s", type(error).__name__)
        if not any("custom" in sent for sent in turn.messages):
            await turn.send_response(
                message.sender_id, unavailable_turn(context_for(message.metadata))
            )
        rest_collector.messages.extend(turn.messages)

    return handle
