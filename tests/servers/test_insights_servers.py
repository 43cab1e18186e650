"""Clinic insights end to end: the real servers record scripted conversations, counted right,
on SQLite (one server, `endpoints.yml`) and on PostgreSQL (two servers sharing Redis,
`endpoints.redis.yml`); a unique string sent through every path is in no stored row."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa
from cluster import RASA_PORTS, Cluster, post

from bot.insights.store import create_tables, engine_for, refusals, turns

from conftest import INSIGHTS_CLINIC, INSIGHTS_SQLITE_URL, marker_of

pytestmark = pytest.mark.servers

CANARY = "zqxinsightcanary5150"
PAGE = {"clinic_name": INSIGHTS_CLINIC, "region": "GB"}
WIDGET = {**PAGE, "channel": "widget"}
# (message, metadata) per turn, and what each turn's row must say:
# (kind, topic, theme, medications, crisis_resources, first_turn, channel)
Row = Tuple[str, Any, Any, Any, bool, bool, str]
SCRIPT: List[List[Tuple[str, Dict[str, Any], Row]]] = [
    [
        ("hello", WIDGET, ("smalltalk", None, None, None, False, True, "widget")),
        ("/faq/bdnf", WIDGET, ("answer", "bdnf", None, None, False, False, "widget")),
        ("how much does ketamine therapy cost", WIDGET,
         ("clinic_answer", "cost", None, None, False, False, "widget")),
    ],
    [
        ("i want to kill myself", PAGE, ("crisis", None, None, None, True, True, "api")),
        ("/faq/bdnf", PAGE, ("answer", "bdnf", None, None, True, False, "api")),
    ],
    [
        ("my zoloft makes me shaky is that normal", PAGE,
         ("advice", None, None, "sertraline", False, True, "api")),
        ("what are the side effects of ketamine", PAGE,
         ("not_covered", None, "side_effects", None, False, False, "api")),
    ],
]  # fmt: skip


def rows_for_clinic(url: str, clinic: str) -> Counter:
    names = ("kind", "topic", "theme", "medications", "crisis_resources", "first_turn", "channel")
    columns = [turns.c[name] for name in names]
    create_tables(engine_for(url))  # the server's writer may not have written yet
    with engine_for(url).connect() as connection:
        found = connection.execute(sa.select(*columns).where(turns.c.clinic == clinic)).all()
    return Counter(tuple(row) for row in found)


def wait_for_rows(url: str, clinic: str, expected: Counter, timeout_s: float = 20) -> Counter:
    deadline = time.monotonic() + timeout_s
    found: Counter = Counter()
    while time.monotonic() < deadline:
        found = rows_for_clinic(url, clinic)
        if sum(found.values()) >= sum(expected.values()):
            break
        time.sleep(0.3)
    time.sleep(1.5)  # one more writer interval: nothing extra may arrive
    return rows_for_clinic(url, clinic)


def run_script(ports: List[int], clinic: str) -> Counter:
    expected: Counter = Counter()
    turn = 0
    for conversation in SCRIPT:
        sender = f"insights-{uuid.uuid4().hex[:10]}"
        for message, metadata, row in conversation:
            port = ports[turn % len(ports)]  # the cluster: any server takes any turn
            turn += 1
            body = {"sender": sender, "message": message,
                    "metadata": {**metadata, "clinic_name": clinic}}  # fmt: skip
            status, _, reply = post(port, json.dumps(body).encode())
            assert status == 200, reply
            assert marker_of(reply)["kind"] == row[0], message
            expected[row] += 1
    return expected


def rasa_port(servers: Dict[str, Any]) -> int:
    return int(servers["rasa_port"])


def test_one_server_on_sqlite_records_every_turn_right(servers: Dict[str, Any]) -> None:
    expected = run_script([rasa_port(servers)], INSIGHTS_CLINIC)
    assert wait_for_rows(INSIGHTS_SQLITE_URL, INSIGHTS_CLINIC, expected) == expected


def test_two_servers_on_postgresql_record_every_turn_right(
    cluster: Cluster, postgres_url: str
) -> None:
    expected = run_script(list(RASA_PORTS), INSIGHTS_CLINIC)
    assert wait_for_rows(postgres_url, INSIGHTS_CLINIC, expected) == expected
    with engine_for(postgres_url).connect() as connection:
        regions = connection.execute(
            sa.select(turns.c.region).where(turns.c.clinic == INSIGHTS_CLINIC).distinct()
        ).all()
    assert regions == [("GB",)]


def test_page_settings_sent_once_are_remembered(servers: Dict[str, Any]) -> None:
    clinic = INSIGHTS_CLINIC
    sender = f"insights-once-{uuid.uuid4().hex[:8]}"
    port = rasa_port(servers)
    create_tables(engine_for(INSIGHTS_SQLITE_URL))
    first = {"sender": sender, "message": "hello",
             "metadata": {"clinic_name": clinic, "region": "NZ"}}  # fmt: skip
    assert post(port, json.dumps(first).encode())[0] == 200
    later = {"sender": sender, "message": "/faq/neuroplasticity"}
    assert post(port, json.dumps(later).encode())[0] == 200
    with engine_for(INSIGHTS_SQLITE_URL).connect() as connection:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = connection.execute(
                sa.select(turns.c.region, turns.c.clinic).where(turns.c.topic == "neuroplasticity")
            ).all()
            if ("NZ", clinic) in rows:
                break
            time.sleep(0.3)
    assert ("NZ", clinic) in rows


def all_stored_text(url: str) -> str:
    create_tables(engine_for(url))
    with engine_for(url).connect() as connection:
        stored = [connection.execute(sa.select(table)).all() for table in (turns, refusals)]
    return repr(stored)


def canary_requests(sender: str) -> List[bytes]:
    def body(message: Any, **extra: Any) -> bytes:
        return json.dumps({"sender": sender, "message": message, **extra}).encode()

    return [
        body(f"what is bdnf {CANARY}"),
        body(f"tell me more {CANARY}"),
        body(f"how much does {CANARY} cost"),
        body(f"should i stop my zoloft {CANARY}"),
        body(f"{CANARY} {CANARY} blorf"),
        body(f"{CANARY} " * 1000),
        body(
            CANARY,
            metadata={
                "clinic_name": f"Clinic {CANARY}",
                "region": CANARY,
                "channel": CANARY,
                CANARY: CANARY,
            },
        ),  # fmt: skip
        body(f"i want to kill myself {CANARY}"),
        body(f"what is bdnf {CANARY}"),
        # The safety plan: its answers are the person's words, shown back in the finished plan.
        body("/make_safety_plan"),
        body(f"when i stop sleeping {CANARY}"),
        body(f"music and a walk {CANARY}"),
        body(f"my cousin {CANARY}"),
        body(f"my aunt {CANARY}"),
        body(f"dr lee {CANARY}"),
        body(f"my partner keeps my things {CANARY}"),
    ]


MALFORMED = [
    f'{{"sender": "x", "message": "{CANARY}"'.encode(),
    json.dumps({"sender": "x", "message": [CANARY]}).encode(),
    json.dumps({"sender": f"bad sender {CANARY}", "message": "hi"}).encode(),
    json.dumps({"sender": "x", "message": CANARY, "metadata": {"k": CANARY * 1000}}).encode(),
    CANARY.encode() + b"\xff",
]


def test_no_stored_row_holds_what_a_visitor_wrote_sqlite(servers: Dict[str, Any]) -> None:
    port = rasa_port(servers)
    for raw in canary_requests(f"{CANARY}-sender"):
        status, _, reply = post(port, raw)
        assert status == 200
        marker_of(reply)
    for raw in MALFORMED:
        assert post(port, raw)[0] in (400, 413)
    limited = json.dumps({"sender": f"{CANARY}-limited", "message": f"hi {CANARY}"}).encode()
    assert 429 in [post(port, limited)[0] for _ in range(40)]
    url = INSIGHTS_SQLITE_URL
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "rate_conversation" not in all_stored_text(url):
        time.sleep(0.3)
    stored = all_stored_text(url)
    assert "rate_conversation" in stored and "'input'" in stored and "too_large" in stored
    assert CANARY not in stored
    database = Path(url[len("sqlite:///") :])
    for path in database.parent.glob(database.name + "*"):
        assert CANARY.encode() not in path.read_bytes(), path.name


def test_no_stored_row_holds_what_a_visitor_wrote_postgresql(
    cluster: Cluster, postgres_url: str
) -> None:
    for index, raw in enumerate(canary_requests(f"{CANARY}-pg")):
        status, _, reply = post(RASA_PORTS[index % 2], raw)
        assert status == 200
        marker_of(reply)
    for raw in MALFORMED:
        assert post(RASA_PORTS[0], raw)[0] in (400, 413)
    time.sleep(2.5)  # two writer intervals
    stored = all_stored_text(postgres_url)
    assert "crisis" in stored and "bdnf" in stored
    assert CANARY not in stored
