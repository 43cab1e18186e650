"""Message text stays out of logs; Rasa's HTTP API is off or needs a token; CORS is never `*`."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from cluster import RASA_PORTS, Cluster, get, post

from conftest import marker_of

pytestmark = pytest.mark.servers

CANARY = "zqxcanary7731"


def body(sender: str, message: Any, **extra: Any) -> bytes:
    return json.dumps({"sender": sender, "message": message, **extra}).encode()


def test_message_text_never_reaches_a_log(cluster: Cluster) -> None:
    a, b = RASA_PORTS
    sender = "privacy-1"
    paths = {
        "normal": body(sender, f"what is bdnf {CANARY}"),
        "follow-up (action server)": body(sender, f"tell me more {CANARY}"),
        "crisis": body(sender, f"i want to kill myself {CANARY}"),
        "fallback": body(sender, f"{CANARY} {CANARY} blorf"),
        "over-long": body(sender, f"{CANARY} " * 1000),
        "page metadata": body(sender, CANARY, metadata={"clinic_name": f"<{CANARY}>"}),
        # The safety plan's answers, and the finished plan that shows them back.
        "safety plan": body(sender, "/make_safety_plan"),
        "safety plan answers": body(sender, f"when i stop sleeping {CANARY}"),
        "more answers": body(sender, f"my cousin {CANARY}"),
        "the last answers": body(sender, f"my partner keeps my things {CANARY}"),
    }
    for path, raw in paths.items():
        for port in (a, b):
            status, _, reply = post(port, raw)
            assert status == 200, path
            marker_of(reply)
    malformed = [
        f'{{"sender": "x", "message": "{CANARY}"'.encode(),
        body(sender, [CANARY]),
        body(f"bad sender {CANARY}", "hi"),
        body(sender, CANARY, metadata={"k": CANARY * 1000}),
        CANARY.encode() + b"\xff",
    ]
    for raw in malformed:
        assert post(a, raw)[0] in (400, 413)
    # Over server B's per-conversation limit: refused, and still nothing logged.
    statuses = [post(b, body("privacy-limited", f"hello {CANARY}"))[0] for _ in range(40)]
    assert 429 in statuses
    logs = cluster.log_text()
    assert set(logs) >= {"rasa_a", "rasa_b", "actions"}
    for name, text in logs.items():
        assert CANARY not in text, f"message text in the {name} log"


def test_over_the_limit_a_429_says_when_to_retry(cluster: Cluster) -> None:
    port = RASA_PORTS[1]  # server B keeps the default 30 messages a minute per conversation
    answers = [post(port, body("limited-1", "what is bdnf")) for _ in range(35)]
    assert all(status == 200 for status, _, _ in answers[:30])
    status, headers, reply = answers[-1]
    assert status == 429 and int(headers["retry-after"]) >= 1
    assert "too many messages" in reply["error"]
    # A crisis message gets through at once, and other conversations are unaffected.
    status, _, crisis = post(port, body("limited-1", "i want to kill myself"))
    assert status == 200 and marker_of(crisis)["kind"] == "crisis"
    assert post(port, body("limited-2", "what is bdnf"))[0] == 200


def test_a_tracker_cannot_be_read_without_the_token(cluster: Cluster) -> None:
    port = RASA_PORTS[0]
    assert post(port, body("api-1", "what is bdnf"))[0] == 200
    for path in ("/conversations/api-1/tracker", "/conversations/api-1/tracker?token=wrong"):
        status, _, text = get(port, path)
        assert status in (401, 403) and "bdnf" not in text
    status, _, text = get(port, f"/conversations/api-1/tracker?token={cluster.token}")
    assert status == 200 and "what is bdnf" in text


def test_without_enable_api_the_tracker_endpoint_does_not_exist(servers: Dict[str, Any]) -> None:
    port = int(servers["assistant"].url.split(":")[2].split("/")[0])
    status, _, _ = get(port, "/conversations/anyone/tracker")
    assert status == 404
    assert get(port, "/status")[0] == 404


@pytest.mark.parametrize("which", ["default", "cluster"])
def test_cors_never_allows_every_origin(
    which: str, servers: Dict[str, Any], cluster: Cluster
) -> None:
    if which == "default":
        port = int(servers["assistant"].url.split(":")[2].split("/")[0])
    else:
        port = RASA_PORTS[0]
    origin = {"Origin": "https://evil.example"}
    for path in ("/webhooks/rest/", "/", f"/conversations/x/tracker?token={cluster.token}"):
        _, headers, _ = get(port, path, origin)
        assert headers.get("access-control-allow-origin") in (None, ""), path
