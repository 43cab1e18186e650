"""Clinic insights without servers: facts from events, the writer on SQLite and on a real
PostgreSQL server, retention, a database that is down, and the aggregates the staff see."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa

from bot.insights.facts import FactExtractor, TurnFact, hour_of
from bot.insights.recorder import Recorder
from bot.insights.report import FEWER, build_report, csv_rows, suppress, to_csv, to_text
from bot.insights.store import FactWriter, create_tables, delete_older_than, engine_for, turns
from bot.marker import TurnMarker
from bot.settings import ClinicContact, Settings

SETTINGS = Settings(
    contact=ClinicContact(name="Bright Path Clinic"),
    insights_clinics=("Listed Clinic",),
)
NOW = time.time()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'insights.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = engine_for(url)
    create_tables(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE insights_turns, insights_refusals"))
    yield url


def user(sender: str, text: str, intent: str, **extra: Any) -> Dict[str, Any]:
    parse = {"intent": {"name": intent}, "entities": extra.pop("entities", [])}
    return {"sender_id": sender, "event": "user", "timestamp": NOW, "text": text,
            "parse_data": parse, **extra}  # fmt: skip


def bot(sender: str, **marker: Any) -> Dict[str, Any]:
    custom = {"notice": "n", **marker}
    return {"sender_id": sender, "event": "bot", "timestamp": NOW, "text": "reply",
            "data": {"custom": custom}}  # fmt: skip


def session(sender: str) -> Dict[str, Any]:
    return {"sender_id": sender, "event": "session_started", "timestamp": NOW}


def facts_of(events: List[Dict[str, Any]], settings: Settings = SETTINGS) -> List[TurnFact]:
    extractor = FactExtractor(settings)
    return [fact for fact in map(extractor.feed, events) if fact is not None]


SERTRALINE = [{"entity": "medication", "value": "sertraline"}]


# --- facts ----------------------------------------------------------------------------------------


def test_a_turn_of_every_kind_becomes_one_fact() -> None:
    events = [
        session("a"),
        user("a", "hi", "greet", metadata={"channel": "widget", "region": "GB"}),
        bot("a", kind="smalltalk"),
        user("a", "what is bdnf", "faq"),
        bot("a", kind="answer", topic="bdnf"),
        user("a", "what does spravato cost", "not_covered"),
        bot("a", kind="not_covered"),
        user("a", "should i stop my zoloft", "personal_advice", entities=SERTRALINE),
        bot("a", kind="advice"),
        user("a", "asdf", "nlu_fallback"),
        bot("a", kind="fallback"),
        user("a", "weather?", "out_of_scope"),
        bot("a", kind="out_of_scope"),
        user("a", "i am done", "check_in"),
        bot("a", kind="check_in", answer_kind="advice", crisis_resources=True),
        user("a", "i want to die", "crisis"),
        bot("a", kind="crisis", crisis_resources=True),
        user("a", "what is bdnf", "faq"),
        bot("a", kind="answer", topic="bdnf", crisis_resources=True),
    ]
    facts = facts_of(events)
    assert [f.kind for f in facts] == [
        "smalltalk", "answer", "not_covered", "advice", "fallback", "out_of_scope", "check_in",
        "crisis", "answer",
    ]  # fmt: skip
    assert [f.first_turn for f in facts] == [True] + [False] * 8
    assert facts[1].topic == "bdnf" and facts[0].topic is None
    assert facts[2].theme == "cost"
    assert facts[3].medications == "sertraline" and facts[2].medications is None
    assert facts[6].answer_kind == "advice"
    assert [f.crisis_resources for f in facts] == [False] * 6 + [True] * 3
    # The page's settings stay with the conversation; the channel is each message's.
    assert {f.region for f in facts} == {"GB"}
    assert facts[0].channel == "widget" and facts[1].channel == "api"
    assert all(f.hour == hour_of(NOW) and f.hour.minute == 0 for f in facts)


def test_only_closed_vocabularies_are_recorded() -> None:
    canary = "zqxcanary4411"
    events = [
        session("b"),
        user(
            "b", f"my {canary} pills", "personal_advice",
            entities=[{"entity": "medication", "value": canary},
                      {"entity": "treatment", "value": "tms"}],
            metadata={"clinic_name": f"Clinic {canary}", "region": "ZZ", "channel": canary},
        ),
        bot("b", kind="advice", topic=canary),
        bot("b", kind=canary),
        user("b", "x", "not_covered", metadata={"clinic_name": "Listed Clinic"}),
        bot("b", kind="not_covered"),
    ]  # fmt: skip
    facts = facts_of(events)
    assert len(facts) == 2
    advice, not_covered = facts
    assert advice.medications is None and advice.treatments == "tms"
    assert advice.topic is None and advice.clinic == "other" and advice.channel == "api"
    assert advice.region == "ZZ"
    assert not_covered.clinic == "Listed Clinic" and not_covered.theme == "other"
    assert canary not in repr(facts)


def test_the_deployment_clinic_and_region_when_the_page_names_none() -> None:
    (fact,) = facts_of([user("c", "hi", "greet"), bot("c", kind="smalltalk")])
    assert fact.clinic == "Bright Path Clinic" and fact.region == "US" and not fact.first_turn
    (fact,) = facts_of([user("c", "hi", "greet"), bot("c", kind="smalltalk")], Settings())
    assert fact.clinic is None


def test_a_new_session_is_a_new_conversation_and_forgets_the_page() -> None:
    events = [
        session("d"), user("d", "hi", "greet", metadata={"region": "AU"}),
        bot("d", kind="smalltalk"),
        user("e", "hi", "greet"), bot("e", kind="smalltalk"),
        user("d", "more", "tell_me_more"), bot("d", kind="answer", topic="bdnf"),
        session("d"), user("d", "hi again", "greet"), bot("d", kind="smalltalk"),
    ]  # fmt: skip
    facts = facts_of(events)
    assert [f.first_turn for f in facts] == [True, False, False, True]
    assert [f.region for f in facts] == ["AU", "US", "AU", "US"]


# --- the writer, on both databases ---------------------------------------------------------------


def fact(hour: datetime, **fields: Any) -> TurnFact:
    return TurnFact(hour=hour, **{"kind": "answer", **fields})


def test_facts_are_written_in_batches_and_counted(db_url: str) -> None:
    writer = FactWriter(db_url, 400, flush_interval_s=0.05)
    recorder = Recorder(SETTINGS, writer)
    now = hour_of(None)
    for index in range(12):
        writer.add(fact(now, first_turn=index < 7, topic="bdnf" if index < 6 else None))
    for _ in range(3):
        recorder.refused("rate_conversation")
    recorder.refused("no such reason")
    recorder.unavailable_turn(TurnMarker("fallback", notice="n", reason="unavailable"), {})
    assert recorder.flush(20)
    assert writer.stats.written == 16 and writer.stats.dropped_db_error == 0
    engine = engine_for(db_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(turns)).scalar() == 13
        unavailable = connection.execute(
            sa.select(turns.c.kind).where(turns.c.unavailable.is_(True))
        ).all()
    assert unavailable == [("fallback",)]
    today = now.date()
    report = build_report(engine, today - timedelta(days=1), today + timedelta(days=1))
    assert report.conversations_total.shown == 7
    kinds = {row.key: row.cell.shown for row in report.turns_by_kind}
    assert kinds["answer"] == 12
    assert [(row.key, row.cell.shown) for row in report.topics] == [("bdnf", 6)]
    refused = {row.key: row.cell for row in report.refusals_by_reason}
    assert refused["rate_conversation"].text == FEWER
    writer.close()


def test_rows_older_than_the_retention_are_deleted(db_url: str) -> None:
    engine = engine_for(db_url)
    create_tables(engine)
    now = datetime(2026, 6, 1, 12)
    with engine.begin() as connection:
        connection.execute(
            turns.insert(),
            [fact(now - timedelta(days=age), region="US").as_row() for age in (0, 399, 401, 800)],
        )
    assert delete_older_than(engine, 400, now=now) == 2
    with engine.connect() as connection:
        left = sorted(row[0] for row in connection.execute(sa.select(turns.c.hour)))
    assert left == [now - timedelta(days=399), now]


def test_the_writer_prunes_on_its_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prune.sqlite3'}"
    engine = engine_for(url)
    create_tables(engine)
    with engine.begin() as connection:
        connection.execute(turns.insert(), [fact(datetime(2000, 1, 1)).as_row()])
    writer = FactWriter(url, 400, flush_interval_s=0.05)
    writer.add(fact(hour_of(None)))
    assert writer.flush(20)
    with engine.connect() as connection:
        years = [row[0].year for row in connection.execute(sa.select(turns.c.hour))]
    assert 2000 not in years and len(years) == 1
    writer.close()


def test_a_database_that_is_down_loses_facts_never_time(unused_port: int) -> None:
    writer = FactWriter(
        f"postgresql://nobody:secret@127.0.0.1:{unused_port}/none", 400, flush_interval_s=0.05
    )
    started = time.perf_counter()
    for _ in range(1000):
        writer.add(fact(hour_of(None)))
    assert time.perf_counter() - started < 0.5  # adding never waits for the database
    assert writer.flush(30)
    assert writer.stats.dropped_db_error == 1000 and writer.stats.written == 0
    writer.close()


def test_the_queue_is_bounded_when_the_database_is_slow() -> None:
    writer = FactWriter("sqlite://", 400, max_pending=10)
    writer._start = lambda: None  # type: ignore[method-assign]  # no thread: nothing drains
    writer._thread = None
    for _ in range(25):
        writer.add(fact(hour_of(None)))
    assert len(writer._pending) == 10 and writer.stats.dropped_queue_full == 15


def test_a_database_that_comes_back_is_written_again(tmp_path: Path) -> None:
    blocker = tmp_path / "later"
    blocker.write_text("a file where the database's directory should be")
    writer = FactWriter(f"sqlite:///{blocker / 'insights.sqlite3'}", 400, flush_interval_s=0.05)
    writer.add(fact(hour_of(None)))
    assert writer.flush(20)
    assert writer.stats.dropped_db_error == 1 and writer.stats.written == 0
    blocker.unlink()
    writer.add(fact(hour_of(None)))
    assert writer.flush(20)
    assert writer.stats.written == 1
    writer.close()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- what the staff see ---------------------------------------------------------------------------


def test_the_clinics_own_answers_are_counted_by_topic_never_their_words(db_url: str) -> None:
    events = [
        session("d"),
        user("d", "how much is it with you", "clinic"),
        bot("d", kind="clinic_answer", topic="cost", clinic_words=True),
        user("d", "and your hours", "clinic"),
        bot("d", kind="clinic_answer", topic="hours"),
    ]
    facts = facts_of(events)
    assert [(f.kind, f.topic, f.theme) for f in facts] == [
        ("clinic_answer", "cost", None),
        ("clinic_answer", "hours", None),
    ]
    engine = engine_for(db_url)
    create_tables(engine)
    day = datetime(2026, 7, 1, 12)
    with engine.begin() as connection:
        connection.execute(
            turns.insert(),
            [fact(day, kind="clinic_answer", topic="cost").as_row() for _ in range(6)],
        )
    report = build_report(engine, date(2026, 7, 1), date(2026, 7, 1))
    assert ("cost", "Cost and payment", 6) in [
        (r.key, r.label, r.cell.shown) for r in report.topics
    ]
    kinds = {r.key: (r.label, r.cell.shown) for r in report.turns_by_kind}
    assert kinds["clinic_answer"] == ("Questions about the clinic (its own answers)", 6)


def test_counts_under_five_are_never_shown() -> None:
    assert [c.shown for c in suppress([0, 4, 5, 12])] == [None, None, 5, 12]
    # One hidden count would follow from a total: the next smallest is hidden too.
    assert [c.shown for c in suppress([3, 9, 5, 12])] == [None, 9, None, 12]
    assert [c.shown for c in suppress([7])] == [7]
    assert [c.shown for c in suppress([2])] == [None]
    assert suppress([1])[0].text == FEWER == suppress([0])[0].csv


def test_the_report_folds_hours_into_the_clinics_days(db_url: str) -> None:
    engine = engine_for(db_url)
    create_tables(engine)
    # 03:00 UTC on June 2 is still June 1 in Chicago.
    rows = [fact(datetime(2026, 6, 2, 3), first_turn=True).as_row() for _ in range(6)]
    rows += [fact(datetime(2026, 6, 2, 15), first_turn=True).as_row() for _ in range(5)]
    rows += [fact(datetime(2026, 6, 3, 15), first_turn=True).as_row() for _ in range(8)]
    rows += [fact(datetime(2026, 6, 2, 15), kind="crisis").as_row()]
    with engine.begin() as connection:
        connection.execute(turns.insert(), rows)
    utc = build_report(engine, date(2026, 6, 1), date(2026, 6, 3))
    chicago = build_report(engine, date(2026, 6, 1), date(2026, 6, 3), "America/Chicago")
    assert [c.shown for _, c in chicago.conversations_by_day] == [6, 5, 8]
    # UTC: June 1 had none, so hidden; alone it would follow from the total, so 8 hides too.
    assert [c.shown for _, c in utc.conversations_by_day] == [None, 11, None]
    assert utc.conversations_total.shown == chicago.conversations_total.shown == 19
    crisis = [(week, c.text) for week, c, _, _ in chicago.crisis_by_week]
    assert crisis == [(date(2026, 6, 1), FEWER)]


def test_csv_and_text_carry_the_same_suppressed_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'report.sqlite3'}"
    engine = engine_for(url)
    create_tables(engine)
    day = datetime(2026, 6, 3, 10)
    rows = [fact(day, first_turn=True, kind="not_covered", theme="cost").as_row()] * 8
    rows += [fact(day, kind="advice", medications="sertraline").as_row()] * 2
    with engine.begin() as connection:
        connection.execute(turns.insert(), rows)
    report = build_report(engine, date(2026, 6, 3), date(2026, 6, 3))
    table = csv_rows(report)
    assert table[0] == ["section", "period", "item", "count"]
    by_item = {(row[0], row[2]): row[3] for row in table[1:]}
    assert by_item[("not-covered themes", "cost")] == "8"
    assert by_item[("turns by kind", "advice")] == FEWER
    assert ("medications asked about", "sertraline") not in by_item  # under 5: not listed
    counts = [row[3] for row in table[1:]]
    assert all(value == FEWER or int(value) >= 5 for value in counts)
    assert "8" in to_text(report) and to_csv(report).startswith("section,period,item,count\r\n")


def test_a_recorder_that_records_nothing() -> None:
    off = Recorder(replace(SETTINGS, insights_record=False), None)
    off.event(bot("x", kind="answer"))
    off.refused("input")
    assert not off.enabled and off.flush()


def test_the_rest_channel_records_the_turn_it_sends_itself(monkeypatch: Any) -> None:
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    import bot.channels as channels

    recorded: List[Any] = []

    class Spy:
        def unavailable_turn(self, marker: TurnMarker, metadata: Any) -> None:
            recorded.append((marker, metadata))

    monkeypatch.setattr(channels, "recorder", lambda: Spy())

    async def produces_nothing(message: UserMessage) -> None:
        return None

    collector = CollectingOutputChannel()
    message = UserMessage("hi", collector, "s-1", metadata={"channel": "widget"})
    asyncio.run(channels.guarded(produces_nothing)(message))
    sent = collector.messages[-1]["custom"]
    assert sent["reason"] == "unavailable" and sent["kind"] == "fallback"
    # What was recorded is the marker the visitor got, read before sending took it away.
    assert recorded == [(TurnMarker.from_custom(sent), {"channel": "widget"})]


def test_insights_settings_are_validated() -> None:
    from bot.settings import DEFAULT_INSIGHTS_DB_URL, settings_from

    defaults = settings_from({}, {})
    assert defaults.insights_record and defaults.insights_token is None
    assert defaults.insights_db_url == DEFAULT_INSIGHTS_DB_URL
    assert defaults.insights_retention_days == 400 and defaults.insights_timezone == "UTC"
    env = {
        "INSIGHTS_TOKEN": "short",
        "INSIGHTS_DB_URL": "mysql://user:pw@db/x",
        "INSIGHTS_CLINICS": "Bright Path Clinic; Second, Site ;<bad>",
        "INSIGHTS_TIMEZONE": "Mars/Olympus",
        "INSIGHTS_RETENTION_DAYS": "-3",
        "INSIGHTS_RECORD": "false",
    }
    refused = settings_from({}, env)
    assert refused.insights_token is None and refused.insights_db_url == DEFAULT_INSIGHTS_DB_URL
    assert refused.insights_clinics == ("Bright Path Clinic", "Second, Site")
    assert refused.insights_timezone == "UTC" and refused.insights_retention_days == 400
    assert not refused.insights_record
    accepted = settings_from(
        {"insights": {"token": "t" * 16, "db_url": "postgresql://u:p@h/db", "clinics": ["A"],
                      "timezone": "America/Chicago", "retention_days": 30}},
        {},
    )  # fmt: skip
    assert accepted.insights_token == "t" * 16 and accepted.insights_clinics == ("A",)
    assert accepted.insights_db_url == "postgresql://u:p@h/db"
    assert accepted.insights_timezone == "America/Chicago"
    assert accepted.insights_retention_days == 30
    # Neither the URL (a password) nor the token appears in the settings' repr (logs).
    assert "u:p@h" not in repr(accepted) and "t" * 16 not in repr(accepted)


def test_a_safety_plan_is_recorded_as_offered_started_finished_never_its_words(
    db_url: str,
) -> None:
    events = [
        user("p", "i want to die", "crisis"),
        bot("p", kind="crisis", crisis_resources=True),
        user("p", "yes", "affirm"),
        bot("p", kind="support", crisis_resources=True, safety_plan="offered"),
        user("p", "/make_safety_plan", "make_safety_plan"),
        bot("p", kind="support", crisis_resources=True, safety_plan="started"),
        user("p", "when I stop answering my sister's texts", "personal_advice"),
        bot("p", kind="support", crisis_resources=True),
        bot("p", kind="support", crisis_resources=True, safety_plan="finished"),
        bot("p", kind="support", crisis_resources=True, safety_plan="made up"),
    ]
    facts = facts_of(events)
    assert [fact.safety_plan for fact in facts] == [
        None,
        "offered",
        "started",
        None,
        "finished",
        None,
    ]
    assert {fact.kind for fact in facts} == {"crisis", "support"}
    writer = FactWriter(db_url, retention_days=400)
    for fact in facts:
        writer.add(fact)
    assert writer.flush() and writer.stats.written == len(facts)
    writer.close()
    engine = engine_for(db_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(turns)).mappings().all()
    assert "sister" not in repr(rows)
    report = build_report(
        engine, date.today() - timedelta(days=1), date.today() + timedelta(days=1)
    )
    assert [row.key for row in report.safety_plans] == ["offered", "started", "finished"]
    assert ["safety plans", f"{report.start}..{report.end}", "finished", FEWER] in csv_rows(report)
    assert "Safety plan finished" in to_text(report)


# The turns table as the version before the crisis conversation made it.
OLD_TURNS_TABLE = """CREATE TABLE insights_turns (
    hour DATETIME NOT NULL, kind VARCHAR(20) NOT NULL, answer_kind VARCHAR(20), topic VARCHAR(64),
    crisis_resources BOOLEAN NOT NULL, medications VARCHAR(200), treatments VARCHAR(200),
    theme VARCHAR(32), region VARCHAR(8) NOT NULL, clinic VARCHAR(80),
    first_turn BOOLEAN NOT NULL, channel VARCHAR(8) NOT NULL, unavailable BOOLEAN NOT NULL)"""


def test_a_database_made_before_the_safety_plan_column_gets_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(sa.text(OLD_TURNS_TABLE))
        connection.execute(
            sa.text(
                "INSERT INTO insights_turns VALUES ('2026-12-01 10:00:00', 'answer', NULL, "
                "'bdnf', 0, NULL, NULL, NULL, 'US', NULL, 1, 'api', 0)"
            )
        )
    create_tables(engine)
    create_tables(engine)  # a second server, or a restart: nothing more to add
    columns = {column["name"] for column in sa.inspect(engine).get_columns("insights_turns")}
    assert "safety_plan" in columns
    writer = FactWriter(url, retention_days=4000)
    writer.add(TurnFact(hour=hour_of(NOW), kind="support", safety_plan="started"))
    assert writer.flush() and writer.stats.written == 1
    writer.close()
    with engine.connect() as connection:
        plans = connection.execute(sa.text("SELECT safety_plan FROM insights_turns")).scalars()
        assert sorted(plans, key=str) == [None, "started"]
