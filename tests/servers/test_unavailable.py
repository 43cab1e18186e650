"""When no turn can be produced (Redis gone under a running server), the reply still helps.

A Rasa server on `endpoints.redis.yml` whose Redis stops: its lock store cannot lock the
conversation, Rasa raises, and the REST channel sends the unavailable turn instead. That turn
always carries the region's crisis lines, and is a crisis turn when the channel's crisis rules
match the message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from cluster import post, send
from redis_server import REDIS_PORT, running_redis

from bot import launcher

from conftest import ROOT, marker_of, text_of

pytestmark = pytest.mark.servers

_BASE = int(os.environ.get("TEST_PORT_BASE", "5100"))
# Clear of the other fixtures' ports (base+5, +10, +11, +55, +60) and of the session's Redis.
RASA_PORT = _BASE + 12
NO_ACTIONS_PORT = _BASE + 62  # nothing listens: crisis turns and the notice never need it
OWN_REDIS_PORT = REDIS_PORT + 1


@pytest.fixture(scope="module")
def server_on_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    if not launcher.MODEL.exists():
        pytest.fail("No trained model: run `make test`, which trains first.")
    workdir = tmp_path_factory.mktemp("unavailable")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        (ROOT / "endpoints.redis.yml")
        .read_text()
        .replace("localhost:5055", f"localhost:{NO_ACTIONS_PORT}")
    )
    env = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(OWN_REDIS_PORT), "REDIS_PASSWORD": ""}
    log_path = workdir / "rasa.log"
    with open(log_path, "ab") as log:
        redis = running_redis(OWN_REDIS_PORT)
        redis.__enter__()
        process = None
        try:
            process = launcher.start_rasa_server(RASA_PORT, endpoints, env, log)
            url = f"http://localhost:{RASA_PORT}/webhooks/rest/"
            launcher.wait_until_ready(url, process, launcher.READY_TIMEOUT_S)
            yield {"redis": redis, "log": log_path}
        finally:
            if process is not None:
                launcher.stop([process])
            redis.__exit__(None, None, None)


def stop_redis(state: Dict[str, Any]) -> None:
    if state.get("stopped"):
        return
    state["redis"].__exit__(None, None, None)
    state["stopped"] = True


def test_with_redis_stopped_a_crisis_still_gets_a_crisis_turn(
    server_on_redis: Dict[str, Any],
) -> None:
    before = send(RASA_PORT, "redis-down-1", "hi")
    assert marker_of(before)["kind"] == "smalltalk" and "reason" not in marker_of(before)
    stop_redis(server_on_redis)

    reply = send(RASA_PORT, "redis-down-1", "I want to kill myself")
    marker = marker_of(reply)
    assert marker["kind"] == "crisis" and marker["reason"] == "unavailable", marker
    assert marker["crisis_resources"] is True
    text = text_of(reply)
    assert text.startswith("**If you or someone else may be in danger")
    assert "(tel:988)" in text and "(sms:988)" in text and "(tel:911)" in text
    assert "not medical advice" in text
    log = Path(server_on_redis["log"]).read_text(errors="replace")
    assert "Handling a message failed" in log


def test_with_redis_stopped_any_message_still_gets_the_regions_lines(
    server_on_redis: Dict[str, Any],
) -> None:
    stop_redis(server_on_redis)
    reply = send(RASA_PORT, "redis-down-2", "what is bdnf?", metadata={"region": "GB"})
    marker = marker_of(reply)
    assert marker == {
        "kind": "fallback",
        "notice": "This is general information, not medical advice.",
        "reason": "unavailable",
        "crisis_resources": True,
    }
    text = text_of(reply)
    assert "(tel:116123)" in text and "(sms:85258)" in text and "(tel:999)" in text


def test_with_redis_stopped_a_spanish_crisis_is_a_crisis_turn_in_spanish(
    server_on_redis: Dict[str, Any],
) -> None:
    stop_redis(server_on_redis)
    status, _, reply = post(
        RASA_PORT,
        b'{"sender": "redis-down-3", "message": "quiero morir, ya no aguanto m\\u00e1s"}',
    )
    assert status == 200
    marker = marker_of(reply)
    assert marker["kind"] == "crisis" and marker["language"] == "es"
    assert "marca el **2**" in text_of(reply) and "(tel:911)" in text_of(reply)
