"""The crisis guard's verdict on one message, and how it travels in Rasa's parse data.

The guard (`bot.nlu.crisis_guard`) writes it; the response generator, the evaluations and the
tests read it. Only categories and a score are kept, never the matched words: parse results can
reach logs and trackers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

# The parse-data keys the verdicts live under.
PARSE_KEY = "crisis"
PERSONAL_PARSE_KEY = "personal"
# True on a message the article does not answer exactly, answered with its nearest topic
# (`bot.nlu.topic_classifier`).
NEAREST_TOPIC = "nearest_topic"

# What the turn becomes.
CRISIS = "crisis"  # the crisis resources first, nothing competing with them
CHECK_IN = "check_in"  # answer what can be answered, show the lines, ask plainly
NO_SIGN = "none"
DECISIONS = (CRISIS, CHECK_IN, NO_SIGN)


@dataclass(frozen=True)
class CrisisVerdict:
    """Why a message is, might be, or is not a crisis."""

    decision: str = NO_SIGN
    # Crisis-rule categories that matched and were not explained away by a context.
    rules: Tuple[str, ...] = ()
    # Whether one of them is a firm (first-person, present) pattern.
    firm: bool = False
    # Why danger words in the message are not about present danger (idiom, past, research...).
    contexts: Tuple[str, ...] = ()
    # Ambiguous phrasings that call for a check-in rather than a crisis turn ("i'm done").
    check_in_rules: Tuple[str, ...] = ()
    # The crisis classifier's probability.
    classifier: float = 0.0
    # Why the decision was taken, one short code ("firm_rule", "rule_and_classifier", ...).
    reason: str = ""
    # Kinds of danger words no context explained (death, means, goodbye...).
    danger_words: Tuple[str, ...] = ()
    # Crisis or check-in phrasings a context explained, by category.
    explained: Tuple[str, ...] = ()
    # Whether the message was long enough to be a story.
    long_message: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_crisis(self) -> bool:
        return self.decision == CRISIS

    @property
    def is_check_in(self) -> bool:
        return self.decision == CHECK_IN

    def to_parse_data(self) -> Dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "rules": list(self.rules),
            "firm": self.firm,
            "contexts": list(self.contexts),
            "check_in_rules": list(self.check_in_rules),
            "classifier": round(self.classifier, 3),
            "danger_words": list(self.danger_words),
            "explained": list(self.explained),
            "long_message": self.long_message,
            # Kept for readers of the earlier format: the answer carries the resources.
            "check_in": self.is_check_in,
        }

    def write_to(self, message: Any) -> None:
        """Puts the verdict into a message's parse data (a Rasa `Message`), replacing any."""
        message.set(PARSE_KEY, self.to_parse_data(), add_to_output=True)

    @classmethod
    def from_message(cls, message: Any) -> CrisisVerdict:
        """The verdict in a message being parsed (a Rasa `Message`); no sign when it has none."""
        return cls.from_parse_data({PARSE_KEY: message.get(PARSE_KEY)})

    @classmethod
    def from_parse_data(cls, parse: Optional[Mapping[str, Any]]) -> CrisisVerdict:
        """The verdict in a parse result; no verdict (a payload, an old tracker) is no sign."""
        raw = (parse or {}).get(PARSE_KEY)
        if not isinstance(raw, Mapping):
            return cls()
        decision = raw.get("decision")
        if decision not in DECISIONS:
            # An earlier tracker: only the check-in flag and the rules were written.
            decision = CHECK_IN if raw.get("check_in") else NO_SIGN
        return cls(
            decision=str(decision),
            rules=tuple(str(rule) for rule in raw.get("rules") or ()),
            firm=bool(raw.get("firm")),
            contexts=tuple(str(context) for context in raw.get("contexts") or ()),
            check_in_rules=tuple(str(rule) for rule in raw.get("check_in_rules") or ()),
            classifier=float(raw.get("classifier") or 0.0),
            reason=str(raw.get("reason") or ""),
            danger_words=tuple(str(kind) for kind in raw.get("danger_words") or ()),
            explained=tuple(str(rule) for rule in raw.get("explained") or ()),
            long_message=bool(raw.get("long_message")),
        )


@dataclass(frozen=True)
class PersonalVerdict:
    """What the personal-message router (`bot.nlu.personal_router`) found about the writer's own
    situation: the concerns, by label only, and whether an article answer acknowledges them."""

    concerns: Tuple[str, ...] = ()
    # An article answer that first acknowledges what the writer said about themselves.
    acknowledge: bool = False

    def write_to(self, message: Any) -> None:
        """Puts the verdict into a message's parse data (a Rasa `Message`), replacing any."""
        data: Dict[str, Any] = {"concerns": list(self.concerns)}
        if self.acknowledge:
            data["acknowledge"] = True
        message.set(PERSONAL_PARSE_KEY, data, add_to_output=True)

    @classmethod
    def from_parse_data(cls, parse: Optional[Mapping[str, Any]]) -> PersonalVerdict:
        """The verdict in a parse result; none found is no concern."""
        raw = (parse or {}).get(PERSONAL_PARSE_KEY)
        if not isinstance(raw, dict):
            return cls()
        concerns = tuple(str(c) for c in raw.get("concerns") or () if isinstance(c, str))
        return cls(concerns=concerns, acknowledge=raw.get("acknowledge") is True)
