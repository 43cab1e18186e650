"""Load over HTTP: closed-loop users on the REST webhook, and one long conversation."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, List, Sequence

from bot.marker import last_message_marker
from tools.bench.paths import HELDOUT


@dataclass
class Load:
    """Latencies (s) of the completed requests, errors, and the wall time of the phase."""

    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0


def _is_turn(reply: Any) -> bool:
    """A whole turn: a list of messages whose last one carries the marker with the notice."""
    marker = last_message_marker(reply)
    return marker is not None and bool(marker.notice)


async def _user(
    session: Any,
    urls: Sequence[str],
    sender: str,
    messages: Sequence[str],
    load: Load,
    deadline: float,
    offset: int,
) -> None:
    """One user, sending its conversation turn after turn (closed loop) until the deadline;
    each time the conversation ends, the next one starts under a new conversation id."""
    turn = 0
    while time.monotonic() < deadline:
        url = urls[(offset + turn) % len(urls)]
        conversation_id = f"{sender}-{turn // len(messages)}"
        body = {"sender": conversation_id, "message": messages[turn % len(messages)]}
        started = time.monotonic()
        try:
            async with session.post(url, json=body) as response:
                reply = await response.json(content_type=None)
            if response.status == 200 and _is_turn(reply):
                load.latencies.append(time.monotonic() - started)
            else:
                load.errors += 1
        except Exception:  # noqa: BLE001 - a failed request is counted, never fatal
            load.errors += 1
        turn += 1


async def _run_load(
    urls: Sequence[str], dialogues: List[List[str]], duration_s: float, tag: str
) -> Load:
    import aiohttp

    load = Load()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        deadline = started + duration_s
        await asyncio.gather(
            *(
                _user(session, urls, f"bench-{tag}-{i}", dialogue, load, deadline, i)
                for i, dialogue in enumerate(dialogues)
            )
        )
        load.elapsed = time.monotonic() - started
    return load


def run_load(urls: Sequence[str], dialogues: List[List[str]], duration_s: float, tag: str) -> Load:
    return asyncio.run(_run_load(urls, dialogues, duration_s, tag))


async def _long_conversation(url: str, messages: Sequence[str], turns: int) -> List[float]:
    import aiohttp

    latencies: List[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        sender = f"bench-long-{time.time_ns()}"
        for turn in range(turns):
            started = time.monotonic()
            async with session.post(
                url, json={"sender": sender, "message": messages[turn % len(messages)]}
            ) as response:
                await response.read()
            latencies.append(time.monotonic() - started)
    return latencies


def heldout_texts() -> List[str]:
    from tools.evaluate import heldout_examples

    return [text for text, _ in heldout_examples(HELDOUT)]
