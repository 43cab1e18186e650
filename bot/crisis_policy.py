"""The decisions of the crisis conversation that Rasa's rules cannot make.

The conversation's turns are rules and a form (`data/rules/crisis_conversation.yml`,
`safety_plan_form`). A rule answers the turn in front of it: it cannot count turns, notice that
the person was away, or weigh what the crisis guard found. So this policy decides three things,
and abstains everywhere else:

1. **Following up.** 988's fifth step is to follow up: "Were you able to reach someone?". It asks
   when
   - the session's latest turn pointing the person to a line or a person (the crisis turn, "not
     safe", the answers about reaching out...) came `after_turns` messages ago or more, or the
     person writes again after `return_after_seconds` away (in the widget, tapping a line's
     link and coming back asks at once: the rule for `/crisis_returned`);
   - nothing has asked it since;
   - the message leaves room for the question: thanks, okay, yes, no, "something else", or words
     the assistant did not understand. A question, a crisis, a plan in progress or a feeling is
     answered first, and the follow-up waits.
2. **A plan answer that only looks like a choice.** Inside the safety plan, a message the
   classifier gives an intent that leaves the plan ("stop for now", an article question) is an
   answer after all when the classifier is not confident: "when I stop answering texts" is a
   warning sign, "my therapist, Dr Lee" a professional, not "stop" or a question about therapy.
   Before the form runs, this policy sets the words as the step's answer, so the form takes them
   and asks the next step. A crisis and a button's payload are never answers.
3. **A yes that is not safe.** "Are you safe right now?" answered "yes I have the pills" is not
   safe. The crisis guard makes most such answers a crisis (the rules then treat them as not
   safe); one it is less sure of keeps the intent `affirm`. A yes (or "I'm safe") to the question
   that the guard's classifier scores at `unsafe_yes_score` or more, or that the guard found
   worth a check-in, or that names a means of harm ("yes, I have the pills": pills, a rope, a
   gun, a blade), is taken as "not sure": the emergency number first, then the lines. The
   classifier alone is not enough there: a short yes with "pills" in it scores low.

It runs inside the Rasa server, so none of it needs the action server, and it reads only the
tracker.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crisis_conversation import PLAN_FORM
from bot.nlu.verdict import CrisisVerdict
from bot.payload import is_payload
from bot.session import starts_session

FOLLOW_UP = "utter_crisis_follow_up"
# Turns that ask whether the person reached someone: the follow-up, and the welcome back.
ASKS_WHETHER_REACHED = frozenset({FOLLOW_UP, "utter_crisis_welcome_back"})
# Turns that point the person to a line or a person to reach.
POINTS_TO_SOMEONE = frozenset(
    {
        "utter_crisis",
        "utter_crisis_unsafe",
        "utter_crisis_unsure",
        "utter_crisis_with_someone",
        "utter_crisis_alone",
        "utter_crisis_not_reached",
        "utter_reach_out",
        "utter_reach_out_what_happens",
        "utter_reach_out_police",
        "utter_reach_out_no_talking",
        "utter_reach_out_free_private",
        "utter_reach_out_not_bad_enough",
        "utter_reach_out_tried_before",
        "utter_reach_out_outside_us",
    }
)
# Turns whose question a rule answers: the follow-up never takes their answer's place.
ASKS_A_QUESTION = frozenset(
    {
        "utter_crisis",
        "utter_crisis_ask_safety",
        "utter_crisis_unsafe",
        "utter_crisis_unsure",
        "utter_check_in",
    }
)
# Messages that leave room for the question.
ROOM_FOR_IT = frozenset(
    {
        "thank",
        "acknowledge",
        "affirm",
        "deny",
        "greet",
        "something_else",
        "safe_now",
        "unsure",
        "skip",
        "nlu_fallback",
        "out_of_scope",
    }
)


def _session_events(tracker: DialogueStateTracker) -> List[Event]:
    events: List[Event] = []
    for event in reversed(tracker.events):
        if starts_session(event):
            break
        events.append(event)
    events.reverse()
    return events


def _latest_message(events: List[Event]) -> Optional[int]:
    """Where the message this turn answers is, when no action has answered it yet."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            return index
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return None
    return None


def follow_up_due(
    tracker: DialogueStateTracker, after_turns: int, return_after_seconds: float
) -> bool:
    """Whether "Were you able to reach someone?" should be this turn (see the module's doc)."""
    events = _session_events(tracker)
    at = _latest_message(events)
    if tracker.active_loop_name or at is None:
        return False
    message = events[at]
    assert isinstance(message, UserUttered)
    if (message.intent or {}).get("name") not in ROOM_FOR_IT:
        return False
    messages_since = 0
    last_bot_time: Optional[float] = None
    previous_action: Optional[str] = None
    for event in reversed(events[:at]):
        if isinstance(event, BotUttered) and last_bot_time is None:
            last_bot_time = event.timestamp
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            name = event.action_name
            if previous_action is None:
                previous_action = name
            if name in ASKS_WHETHER_REACHED:
                return False
            if name in POINTS_TO_SOMEONE:
                break
        if isinstance(event, UserUttered):
            messages_since += 1
    else:
        return False  # nothing in this session pointed the person to anyone
    if previous_action in ASKS_A_QUESTION:
        return False
    away = last_bot_time is not None and message.timestamp - last_bot_time >= return_after_seconds
    # The message being answered counts too: "a few turns later" is turns after the lines.
    return away or messages_since + 1 >= after_turns


# Never an answer to a plan step, however unsure the classifier: a crisis leaves the plan.
NEVER_AN_ANSWER = frozenset({"crisis"})
# The turns that ask "Are you safe right now?", and the answers that say yes to it.
ASKS_IF_SAFE = frozenset({"utter_crisis", "utter_crisis_ask_safety"})
SAYS_SAFE = frozenset({"affirm", "safe_now"})
# The means of harm a yes to "Are you safe right now?" may name: after a crisis turn, a yes that
# names one is not a safe yes, however the classifier scores it.
MEANS_OF_HARM = re.compile(
    r"\b(pills?|tablets?|meds|medication|overdose|rope|noose|gun|guns|pistol|rifle|knife|knives|"
    r"blades?|razors?|bottle|bridge|ledge|roof)\b",
    re.IGNORECASE,
)
NOT_SURE = "utter_crisis_unsure"


def yes_but_not_safe(tracker: DialogueStateTracker, min_score: float) -> bool:
    """Whether the message in front of the policy says yes to "Are you safe right now?" while
    the crisis guard saw danger in it. See the module's doc, decision 3."""
    events = _session_events(tracker)
    at = _latest_message(events)
    if at is None:
        return False
    message = events[at]
    assert isinstance(message, UserUttered)
    if (message.intent or {}).get("name") not in SAYS_SAFE or is_payload(message.text):
        return False
    asked = next(
        (
            event.action_name
            for event in reversed(events[:at])
            if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME
        ),
        None,
    )
    if asked not in ASKS_IF_SAFE:
        return False
    verdict = CrisisVerdict.from_parse_data(message.parse_data)
    names_a_means = MEANS_OF_HARM.search(message.text or "") is not None
    return verdict.is_check_in or verdict.classifier >= min_score or names_a_means


def plan_answer_after_all(tracker: DialogueStateTracker, min_confidence: float) -> Optional[str]:
    """The plan step the message in front of the form answers after all (the slot it asks for),
    or None. See the module's doc, decision 2."""
    if tracker.active_loop_name != PLAN_FORM or tracker.latest_action_name != ACTION_LISTEN_NAME:
        return None
    message = tracker.latest_message
    requested = tracker.get_slot("requested_slot")
    if message is None or not requested or not (message.text or "").strip():
        return None
    intent = message.intent or {}
    if intent.get("name") in NEVER_AN_ANSWER or is_payload(message.text):
        return None
    confidence = intent.get("confidence")
    if not isinstance(confidence, (int, float)) or confidence >= min_confidence:
        return None
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return str(requested)  # the slot mappings took nothing from the message
        if isinstance(event, SlotSet) and event.key == requested:
            return None  # taken as the answer (or the skip) already
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class CrisisConversationPolicy(Policy):
    """Follows up when it is due, takes an unsure plan answer as an answer, and a worrying yes
    to "Are you safe right now?" as not sure; abstains otherwise."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Above RulePolicy (6): when the follow-up is due it is this turn, not "you're
            # welcome"; everywhere else this policy predicts nothing at all.
            "priority": 7,
            # Messages after the lines before asking: "a few turns later".
            "after_turns": 3,
            # A message after this long away is a person coming back to the chat.
            "return_after_seconds": 120,
            # Below this, an intent that would leave the safety plan is taken as an answer.
            # The plan's own choices ("stop for now", "skip", an article question) come at 0.8
            # and more; answers mistaken for them at 0.2-0.4 (measured, README).
            "plan_choice_confidence": 0.6,
            # At or above this crisis-classifier score, "yes" to "Are you safe right now?" is
            # taken as "not sure" (README "The crisis conversation": the scores measured).
            "unsafe_yes_score": 0.2,
        }

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        return self._resource  # nothing to learn: the timing is the module's doc

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        answered = plan_answer_after_all(tracker, float(self.config["plan_choice_confidence"]))
        if answered is not None:
            # The words become the step's answer before the form runs (a policy's events apply
            # whoever wins): the form, which Rasa's RulePolicy runs next, then asks the next step.
            text = tracker.latest_message.text if tracker.latest_message else ""
            return self._prediction(probabilities, events=[SlotSet(answered, text)])
        if yes_but_not_safe(tracker, float(self.config["unsafe_yes_score"])):
            probabilities[domain.index_for_action(NOT_SURE)] = 1.0
        elif tracker.latest_action_name in (FOLLOW_UP, NOT_SURE):
            # The turn ends here; no rule knows the turns this policy predicts.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif follow_up_due(
            tracker, int(self.config["after_turns"]), float(self.config["return_after_seconds"])
        ):
            probabilities[domain.index_for_action(FOLLOW_UP)] = 1.0
        return self._prediction(probabilities)
