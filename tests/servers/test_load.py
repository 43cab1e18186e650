"""Holding up: 50 conversations at once, and the action server killed in the middle of it.

`LONG_TESTS=1` (set by `.ci/run`) runs the full five minutes; otherwise 30 seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Any, List, Optional

import aiohttp
import pytest
from cluster import RASA_PORTS, WEBHOOK, Cluster

from conftest import marker_of, text_of

pytestmark = pytest.mark.servers

LONG = os.environ.get("LONG_TESTS") == "1"
CONVERSATIONS = 50
LOAD_S = 300.0 if LONG else 30.0
WARM_UP_S = 30.0 if LONG else 8.0
# 50 clients in a closed loop on 2 shared cores: ~2 s a turn at the median (README figures).
P99_BOUND_S = 15.0
MESSAGES = [
    "hi",
    "what is bdnf?",
    "tell me more",
    "how does ketamine work",
    "i want to kill myself",
    "/faq/ssri",
    "why?",
    "thanks",
    "what is the default mode network",
    "can you help me",
    "blorf wibble",
    "is ketamine right for me",
]


@dataclass
class LoadResult:
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    turns: int = 0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def conversation(
    session: aiohttp.ClientSession, number: int, port: int, until: float, result: LoadResult
) -> None:
    sender = f"load-{number}-{time.monotonic_ns()}"
    for turn, message in enumerate(itertools.cycle(MESSAGES)):
        if time.monotonic() >= until:
            return
        if turn and turn % 60 == 0:
            sender = f"load-{number}-{time.monotonic_ns()}"  # fresh conversations keep coming
        started = time.monotonic()
        try:
            async with session.post(
                f"http://127.0.0.1:{port}{WEBHOOK}", json={"sender": sender, "message": message}
            ) as answer:
                reply = await answer.json()
                if answer.status != 200:
                    result.errors.append(f"HTTP {answer.status}")
                    continue
            marker = marker_of(reply)
            if "not medical advice" not in text_of(reply):
                result.errors.append("no notice")
            if message == "i want to kill myself" and marker["kind"] != "crisis":
                result.errors.append("crisis missed")
        except Exception as error:  # noqa: BLE001 - every failure counts as an error
            result.errors.append(type(error).__name__)
            continue
        result.latencies.append(time.monotonic() - started)
        result.turns += 1


async def load(port: int, seconds: float, during: Optional[Any] = None) -> LoadResult:
    result = LoadResult()
    until = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=CONVERSATIONS)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks = [conversation(session, n, port, until, result) for n in range(CONVERSATIONS)]
        await asyncio.gather(*tasks, *([during] if during else []))
    return result


def test_fifty_conversations_hold_up(cluster: Cluster, record_property: Any) -> None:
    server = cluster.processes["rasa_a"]
    port = RASA_PORTS[0]
    asyncio.run(load(port, WARM_UP_S))
    before = rss_kib(server.pid)
    result = asyncio.run(load(port, LOAD_S))
    after = rss_kib(server.pid)
    growth = (after - before) / before
    figures = {
        "turns": result.turns,
        "errors": len(result.errors),
        "p50_s": round(result.percentile(0.50), 3),
        "p99_s": round(result.percentile(0.99), 3),
        "rss_before_mib": before // 1024,
        "rss_after_mib": after // 1024,
        "rss_growth_pct": round(100 * growth, 2),
    }
    print(f"\nload figures ({LOAD_S:.0f} s, {CONVERSATIONS} conversations): {figures}")
    record_property("load", figures)
    assert result.errors == []
    assert result.turns > CONVERSATIONS * 5
    assert result.percentile(0.99) < P99_BOUND_S
    assert growth < 0.05


def test_the_action_server_killed_during_load(cluster: Cluster) -> None:
    port = RASA_PORTS[0]

    async def kill_and_restore() -> None:
        await asyncio.sleep(3)
        cluster.stop_actions()
        await asyncio.sleep(8)
        await asyncio.get_running_loop().run_in_executor(None, cluster.start_actions)

    result = asyncio.run(load(port, 25.0, during=kill_and_restore()))
    assert result.errors == []  # crisis and the notice on every turn, no failed request
    assert cluster.processes["rasa_a"].poll() is None and cluster.processes["rasa_b"].poll() is None
    # Recovered: follow-ups work again.
    from cluster import send

    send(port, "after-outage", "/faq/ketamine_mechanism")
    assert marker_of(send(port, "after-outage", "tell me more")).get("topic") == "ketamine_nmda"
