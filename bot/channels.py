"""Rasa's REST channel, unchanged in protocol, with the guarantees a clinic needs on every turn.

Registered in `credentials.yml` under its module path; its name is `rest`, so it serves Rasa's
standard `POST /webhooks/rest/webhook` and any Rasa client works with it. Before a message reaches
Rasa the channel checks it (`admit`): a malformed request gets a 4xx with a short JSON reason, a
request over a rate limit gets 429 with Retry-After, and an over-long message is shortened to
`limits.max_message_chars` with a note in the reply. Message text is never logged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.insights.recorder import recorder
from bot.marker import TurnMarker, carries_marker, marker_position
from bot.nlu.language import judge as language_verdict
from bot.page_context import context_for
from bot.rasa_internals import collect_text
from bot.rate_limit import RateLimiter
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.turns import unavailable_turn

logger = logging.getLogger(__name__)

MessageHandler = Callable[[UserMessage], Awaitable[Any]]

MAX_SENDER_CHARS = 128
# Conversation IDs are opaque, but they become storage keys: printable, no spaces, no surrogates.
_SENDER = re.compile(r"^[^\s\x00-\x1f\x7f\ud800-\udfff]{1,%d}$" % MAX_SENDER_CHARS)
# Control characters other than tab and newline, and unpaired surrogates (JSON can encode them,
# UTF-8 cannot): replaced by a space or U+FFFD before NLU.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def shortened_note(limit: int) -> str:
    return (
        f"Your message was longer than {limit:,} characters, so I only read the first {limit:,}. "
        "You can send the rest in another message."
    )


class WholeTurnCollector(CollectingOutputChannel):
    """Keeps each response as one message; Rasa's collector splits text at blank lines."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await collect_text(self, recipient_id, text)


@dataclass(frozen=True)
class Refusal:
    """A request the channel answers itself, without Rasa."""

    status: int
    reason: str
    retry_after_s: int = 0

    def as_response(self) -> HTTPResponse:
        headers = {"Retry-After": str(self.retry_after_s)} if self.retry_after_s else None
        return response.json({"error": self.reason}, status=self.status, headers=headers)


@dataclass(frozen=True)
class Admitted:
    """A valid message for Rasa; `shortened` when it was cut to the length limit."""

    sender: str
    text: str
    metadata: Optional[Dict[str, Any]]
    shortened: bool


def clean_text(text: str, limit: int) -> Tuple[str, bool]:
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text))
    if len(text) > limit:
        return text[:limit], True
    return text, False


def parse_request(body: bytes, settings: Settings) -> Union[Admitted, Refusal]:
    """Validates a webhook request body. Reasons name the field, never its value."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Refusal(400, "the body must be JSON in UTF-8")
    if not isinstance(data, dict):
        return Refusal(400, "the body must be a JSON object")
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not _SENDER.match(sender):
        return Refusal(
            400, f"'sender' must be 1-{MAX_SENDER_CHARS} printable characters without spaces"
        )
    if not isinstance(text, str):
        return Refusal(400, "'message' must be a string")
    if not text.strip():
        return Refusal(400, "'message' must not be empty")
    if metadata is not None:
        if not isinstance(metadata, dict):
            return Refusal(400, "'metadata' must be an object")
        if len(json.dumps(metadata)) > settings.max_metadata_chars:
            return Refusal(413, f"'metadata' must be at most {settings.max_metadata_chars} bytes")
    cleaned, shortened = clean_text(text, settings.max_message_chars)
    return Admitted(sender, cleaned, metadata, shortened)


@lru_cache(maxsize=1)
def _crisis_rules() -> Any:
    import spacy

    import bot.nlu.spacy_pipeline as pipeline  # registers the crisis_matcher factory

    return spacy.load(PROJECT_ROOT / pipeline.DEFAULT_OUTPUT)


def crisis_rules_match(text: str) -> bool:
    """The project's crisis rules (the NLU's first signal), run on the channel's side.

    Rasa's SpacyNLP is case-insensitive, so the text is lowercased the same way.
    """
    try:
        doc = _crisis_rules()(text.lower())
    except Exception as error:  # noqa: BLE001 - when unsure, let the message through
        logger.error("The crisis rules could not run in the channel: %s", type(error).__name__)
        return True
    return bool(doc.spans.get("crisis"))


def channel_crisis_match(text: str) -> bool:
    """The channel's crisis rules: the project's English rules, then the Spanish ones."""
    if crisis_rules_match(text):
        return True
    try:
        return bool(language_verdict(text).crisis_categories)
    except Exception as error:  # noqa: BLE001 - when unsure, treat it as a crisis
        logger.error("The Spanish crisis rules could not run: %s", type(error).__name__)
        return True


def limiter_for(settings: Settings) -> RateLimiter:
    return RateLimiter(
        conversation_per_minute=settings.rate_limit_conversation_per_minute,
        client_per_minute=settings.rate_limit_client_per_minute,
        always_allow_first=settings.rate_limit_always_allow_first,
        is_crisis=channel_crisis_match,
    )


class ClinicRestInput(RestInput):
    """REST channel that checks input, rate-limits and never returns a turn without the notice."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        settings = load_settings()
        limiter = limiter_for(settings)
        handle = guarded(on_new_message)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed = parse_request(request.body, settings)
            if isinstance(parsed, Refusal):
                recorder().refused("too_large" if parsed.status == 413 else "input")
                return parsed.as_response()
            client = request.remote_addr or request.ip or "unknown"
            decision = limiter.check(parsed.sender, client, parsed.text)
            if not decision.allowed:
                logger.info("Rate limited a request (%s limit).", decision.limit)
                recorder().refused(f"rate_{decision.limit}")
                return Refusal(
                    429, f"too many messages ({decision.limit} limit)", decision.retry_after_s
                ).as_response()
            collector = CollectingOutputChannel()
            message = UserMessage(
                parsed.text,
                collector,
                parsed.sender,
                input_channel=self.name(),
                metadata=parsed.metadata,
            )
            await handle(message)
            if parsed.shortened:
                add_shortened_note(collector, parsed.sender, settings.max_message_chars)
            return response.json(collector.messages)

        return webhook


def add_shortened_note(collector: CollectingOutputChannel, sender: str, limit: int) -> None:
    """Puts the note just before the turn's marker, so crisis resources still come first."""
    note = {"recipient_id": sender, "text": shortened_note(limit)}
    marker_at = marker_position(collector.messages)
    collector.messages.insert(len(collector.messages) if marker_at is None else marker_at, note)


def unavailable_turn_for(message: UserMessage) -> Dict[str, Any]:
    """The turn for a message the assistant could not answer: the crisis lines always, and a
    crisis turn when the channel's own crisis rules (English, then Spanish) match it."""
    text = message.text or ""
    context = context_for(message.metadata)
    try:
        verdict = language_verdict(text)
    except Exception as error:  # noqa: BLE001 - the turn must still be sent
        logger.error("The language check could not run in the channel: %s", type(error).__name__)
        return unavailable_turn(context, crisis=crisis_rules_match(text))
    crisis = bool(verdict.crisis_categories) or crisis_rules_match(text)
    return unavailable_turn(replace(context, language=verdict.language), crisis=crisis)


def guarded(on_new_message: MessageHandler) -> MessageHandler:
    """Wraps the agent's handler: errors and timeouts contained, no silent turn."""

    async def handle(message: UserMessage) -> None:
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
        if not any(carries_marker(sent) for sent in turn.messages):
            composed = unavailable_turn_for(message)
            # Read before sending: sending takes the marker out of the response.
            marker = TurnMarker.from_message(composed)
            await turn.send_response(message.sender_id, composed)
            recorder().unavailable_turn(marker, message.metadata)
        rest_collector.messages.extend(turn.messages)

    return handle
