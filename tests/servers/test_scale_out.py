"""Several Rasa servers sharing Redis: one conversation served by both, in order, under load."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Dict, List

import aiohttp
import pytest
from cluster import RASA_PORTS, WEBHOOK, Cluster, get, send

from conftest import marker_of

pytestmark = pytest.mark.servers

SCRIPT = [
    "hi",
    "/faq/ketamine_mechanism",
    "tell me more",
    "i want to end my life",
    "what is bdnf?",
    "thanks",
    "/faq/ssri",
    "how do antidepressants work",
    "what is neuroplasticity",
    "ok",
    "/faq/integration",
    "bye",
]


async def converse(session: aiohttp.ClientSession, sender: str) -> List[Dict[str, Any]]:
    markers = []
    for turn, message in enumerate(SCRIPT):
        port = RASA_PORTS[turn % 2]  # alternate servers on every turn
        url = f"http://127.0.0.1:{port}{WEBHOOK}"
        async with session.post(url, json={"sender": sender, "message": message}) as answer:
            assert answer.status == 200
            markers.append(marker_of(await answer.json()))
    return markers


def events_of(cluster: Cluster, sender: str, port: int) -> List[Dict[str, Any]]:
    status, _, body = get(port, f"/conversations/{sender}/tracker?token={cluster.token}")
    assert status == 200
    return json.loads(body)["events"]


def test_one_conversation_alternates_between_servers_in_order(cluster: Cluster) -> None:
    senders = [f"scale-{number}" for number in range(8)]
    log_start = cluster.log_sizes()  # other tests may stop the action server on purpose

    async def run() -> List[List[Dict[str, Any]]]:
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await asyncio.gather(*(converse(session, sender) for sender in senders))

    for markers in asyncio.run(run()):
        # "tell me more" on the other server continues the first server's topic.
        assert markers[1].get("topic") == "ketamine_mechanism"
        assert markers[2].get("topic") == "ketamine_nmda"
        assert markers[3]["kind"] == "crisis"
        # The crisis was on server B; every later turn, on either server, remembers it.
        assert all(marker.get("crisis_resources") for marker in markers[4:])
    for sender in senders:
        for port in RASA_PORTS:
            events = events_of(cluster, sender, port)
            assert [e["text"] for e in events if e["event"] == "user"] == SCRIPT
    logs = cluster.log_text(since=log_start)
    for name in ("rasa_a", "rasa_b"):
        assert not re.search(r"LockError|lock.*(timeout|error)", logs[name], re.IGNORECASE), name
        assert " ERROR " not in logs[name].replace("User is not authenticated", ""), name


def test_a_restarted_server_continues_the_conversation(cluster: Cluster) -> None:
    port = RASA_PORTS[1]
    send(port, "restart-1", "i want to kill myself")
    send(port, "restart-1", "/faq/ketamine_mechanism")
    cluster.stop_rasa("rasa_b")
    cluster.start_rasa("rasa_b")
    marker = marker_of(send(port, "restart-1", "tell me more"))
    assert marker.get("topic") == "ketamine_nmda" and marker.get("crisis_resources") is True
    user_texts = [e["text"] for e in events_of(cluster, "restart-1", port) if e["event"] == "user"]
    assert user_texts == ["i want to kill myself", "/faq/ketamine_mechanism", "tell me more"]
