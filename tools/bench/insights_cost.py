"""What recording clinic insights adds to a turn, for `make bench` (tools/bench/).

In process, with the project's bounded in-memory tracker store and the real event broker,
recorder and writer (on an SQLite file in a scratch directory): conversations of realistic
turns (a first turn with its session start, answers, a not-covered question, advice naming a
medication, a crisis turn, a check-in), each with the events and parse data a served turn has.
It times what a configured event broker adds to saving a turn, `stream_events` (Rasa makes a
dict of each new event, the broker reads the facts and queues them), and reads the writer
thread's CPU time, which is off the request path but on the same cores.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa.core.tracker_store import TrackerStore
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RESPONSES_KEY,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    UserUttered,
)

from bot.insights.broker import InsightsEventBroker
from bot.insights.recorder import Recorder
from bot.insights.store import FactWriter
from bot.marker import ADVICE, ANSWER, CHECK_IN, CRISIS, CUSTOM, NOT_COVERED, TurnMarker
from bot.nlu.verdict import PARSE_KEY as VERDICT_KEY
from bot.nlu.verdict import CrisisVerdict
from bot.settings import PROJECT_ROOT, load_settings
from bot.tracker_store import RetainingInMemoryTrackerStore
from bot.turns import NOTICE

_TEXT = "x" * 600  # a long answer: the broker never reads it, Rasa's as_dict copies the reference


def _parse(intent: str, entities: List[Dict[str, Any]], decision: str = "none") -> Dict[str, Any]:
    ranking = [{"name": intent, "confidence": 0.8}] + [
        {"name": f"faq/topic_{i}", "confidence": 0.02} for i in range(9)
    ]
    responses = {RESPONSE_SELECTOR_RESPONSES_KEY: [{"text": _TEXT}]}
    return {
        "intent": {"name": intent, "confidence": 0.8},
        "entities": entities,
        "intent_ranking": ranking,
        RESPONSE_SELECTOR_PROPERTY_NAME: {"faq": {RESPONSE_SELECTOR_PREDICTION_KEY: responses}},
        VERDICT_KEY: CrisisVerdict(decision=decision, classifier=0.04).to_parse_data(),
        "personal": {"concerns": ["medication_practical"] if entities else []},
    }


def _turn(index: int, kind_cycle: int) -> List[Event]:
    """The events one served turn adds, by kind."""
    medication = [{"entity": "medication", "value": "sertraline", "start": 3, "end": 9}]
    cases: List[Tuple[str, List[Dict[str, Any]], TurnMarker, str]] = [
        ("faq/bdnf", [], TurnMarker(ANSWER, NOTICE, topic="bdnf"), "utter_faq"),
        ("not_covered", [], TurnMarker(NOT_COVERED, NOTICE), "utter_not_covered"),
        ("personal_advice", medication, TurnMarker(ADVICE, NOTICE), "utter_advice"),
        ("faq/ketamine_nmda", [], TurnMarker(ANSWER, NOTICE, topic="ketamine_nmda"), "utter_faq"),
        ("crisis", [], TurnMarker(CRISIS, NOTICE, crisis_resources=True), "utter_crisis"),
        ("check_in", [],
         TurnMarker(CHECK_IN, NOTICE, answer_kind=ANSWER, crisis_resources=True),
         "utter_check_in"),
    ]  # fmt: skip
    intent, entities, marker, action = cases[kind_cycle % len(cases)]
    # A not-covered question as people write them: a story first, the question at the end, so
    # the theme rules find nothing and read their whole window.
    text = (
        "my therapist brought up a few options for treatment resistant depression last week and "
        "i have been reading about all of them online, what does the research say about ketamine "
        "for people who have tried many medications already and nothing helped for long"
        if intent == "not_covered"
        else f"a visitor's message number {index}"
    )
    decision = "check_in" if intent == "check_in" else "crisis" if intent == "crisis" else "none"
    return [
        UserUttered(text, {"name": intent, "confidence": 0.8}, entities,
                    parse_data=_parse(intent, entities, decision),
                    metadata={"channel": "widget", "region": "US"}),
        ActionExecuted(action, policy="RulePolicy", confidence=1.0),
        BotUttered(_TEXT, {"buttons": [{"title": "t", "payload": "/faq/bdnf"}] * 3,
                           CUSTOM: marker.to_custom()}),
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
    ]  # fmt: skip


async def _measure(directory: Path, conversations: int, turns_each: int) -> Dict[str, float]:
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    writer = FactWriter(f"sqlite:///{directory / 'insights-bench.sqlite3'}", 400)
    recorder = Recorder(load_settings(), writer)
    store = RetainingInMemoryTrackerStore(domain, event_broker=InsightsEventBroker(recorder))
    plain = RetainingInMemoryTrackerStore(domain)
    added: List[float] = []
    stock: List[float] = []
    for conversation in range(conversations):
        sender = f"bench-{conversation}"
        tracker = await store.get_or_create_tracker(sender)
        copy = await plain.get_or_create_tracker(sender)
        for turn in range(turns_each):
            new = _turn(turn, conversation + turn)
            if turn == 0:
                new = [
                    ActionExecuted("action_session_start"),
                    SessionStarted(),
                    ActionExecuted("action_listen"),
                ] + new
            for event in new:
                tracker.update(event)
                copy.update(event)
            started = time.perf_counter()
            await store.stream_events(tracker)
            added.append(time.perf_counter() - started)
            store._save_bounded(tracker)
            # Rasa's own stream_events (it reads the conversation back), on a store with the
            # same conversation and no broker work to do, for comparison.
            plain.event_broker = _NullBroker()
            started = time.perf_counter()
            await TrackerStore.stream_events(plain, copy)
            stock.append(time.perf_counter() - started)
            plain._save_bounded(copy)
            tracker = await store.retrieve(sender) or tracker
            copy = await plain.retrieve(sender) or copy
    writer.flush(60)
    writer.close()
    turns = len(added)
    return {
        "insights_turns": turns,
        "insights_request_us_mean": 1e6 * statistics.fmean(added),
        "insights_request_us_p99": 1e6 * sorted(added)[int(0.99 * (turns - 1))],
        "insights_writer_us_per_turn": 1e6 * writer.stats.cpu_s / turns,
        "insights_rows_written": writer.stats.written,
        "rasa_stream_events_us_mean": 1e6 * statistics.fmean(stock),
    }


class _NullBroker:
    def publish(self, event: Dict[str, Any]) -> None:
        pass


def measure_recording(
    directory: Path, conversations: int = 200, turns_each: int = 12
) -> Dict[str, float]:
    return asyncio.run(_measure(directory, conversations, turns_each))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        for key, value in measure_recording(Path(scratch)).items():
            print(f"{key}: {value:.1f}")
