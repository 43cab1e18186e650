"""Bad input, generated and hand-written: every request gets a 4xx or a normal turn, never a 5xx.

`LONG_TESTS=1` (set by `.ci/run`) sends over 10,000 requests; otherwise over 1,000.
"""

from __future__ import annotations

import json
import os
from typing import Dict, List

import pytest
from cluster import RASA_PORTS, Cluster, post, send
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import marker_of, text_of

pytestmark = pytest.mark.servers

LONG = os.environ.get("LONG_TESTS") == "1"
GENERATED = 10_000 if LONG else 1_000
PORT = RASA_PORTS[0]

HAND_WRITTEN: List[bytes] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"just a string"',
    b"\xff\xfe\xfd",
    b'{"sender": "s", "message": "\xc3\x28"}',  # invalid UTF-8 inside JSON
    b'{"sender": "s", "message": "\\ud800"}',  # a lone surrogate
    b'{"sender": "\\udfff", "message": "hi"}',
    b"[" * 50_000 + b"]" * 50_000,
    json.dumps({"sender": "s"}).encode(),
    json.dumps({"message": "hi"}).encode(),
    json.dumps({"sender": None, "message": "hi"}).encode(),
    json.dumps({"sender": "s", "message": None}).encode(),
    json.dumps({"sender": ["s"], "message": "hi"}).encode(),
    json.dumps({"sender": "s", "message": {"text": "hi"}}).encode(),
    json.dumps({"sender": "s", "message": 12}).encode(),
    json.dumps({"sender": "s", "message": ""}).encode(),
    json.dumps({"sender": "s", "message": "   \n\t  "}).encode(),
    json.dumps({"sender": "s", "message": "x" * 1_000_000}).encode(),
    json.dumps({"sender": "s", "message": "i want to die " * 80_000}).encode(),
    json.dumps({"sender": "s", "message": "\x00\x01\x02\x1b[31mred\x7f"}).encode(),
    json.dumps({"sender": "s", "message": "😀" * 100_000}).encode(),
    json.dumps({"sender": "s", "message": "🔥💊🧠" * 3000}).encode(),
    json.dumps({"sender": "s", "message": "<script>alert(1)</script>"}).encode(),
    json.dumps({"sender": "s", "message": '<img src=x onerror="alert(1)">'}).encode(),
    json.dumps({"sender": "s", "message": "[x](javascript:alert(1)) **b** _i_"}).encode(),
    json.dumps({"sender": "s", "message": "{{7*7}} ${jndi:ldap://x} '; DROP TABLE"}).encode(),
    json.dumps({"sender": "s", "message": "hi", "metadata": "x"}).encode(),
    json.dumps({"sender": "s", "message": "hi", "metadata": [1, 2]}).encode(),
    json.dumps({"sender": "s", "message": "hi", "metadata": {"k": "v" * 1_000_000}}).encode(),
    json.dumps(
        {"sender": "s", "message": "hi", "metadata": {str(i): i for i in range(100_000)}}
    ).encode(),
    json.dumps({"sender": "s", "message": "hi", "metadata": {"region": "<b>", "x": None}}).encode(),
    json.dumps({"sender": "s" * 10_000, "message": "hi"}).encode(),
    json.dumps({"sender": "s/../../etc", "message": "hi"}).encode(),
    json.dumps({"sender": "s", "message": "/faq/../../etc/passwd"}).encode(),
    json.dumps({"sender": "s", "message": "/restart"}).encode(),
    json.dumps({"sender": "s", "message": '/greet{"x": 1}'}).encode(),
    json.dumps({"sender": "s", "message": "hi", "input_channel": "<x>"}).encode(),
]

counts: Dict[str, int] = {"requests": 0, "4xx": 0, "turns": 0}


def check(raw: bytes) -> None:
    status, _, reply = post(PORT, raw)
    counts["requests"] += 1
    assert status < 500, (status, raw[:200])
    if status == 200:
        marker = marker_of(reply)
        assert marker["notice"] and "not medical advice" in text_of(reply)
        assert "<script" not in text_of(reply) and "onerror" not in text_of(reply)
        counts["turns"] += 1
    else:
        assert 400 <= status < 500 and isinstance(reply, dict) and reply.get("error")
        counts["4xx"] += 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Text including control characters and unpaired surrogates (JSON can carry both).
any_text = st.text(st.characters(codec=None, exclude_categories=[]), max_size=300)
messages = st.one_of(
    any_text,
    st.sampled_from(["", " ", "\n", "\t \t", "hi", "i want to kill myself", "tell me more"]),
    st.text(st.sampled_from("😀🔥 <>&\"'/\\\x00\x1b"), min_size=1, max_size=3000),
    json_values,
)
conversation_ids = st.sampled_from(["fuzz-1", "fuzz-2", "fuzz-3"]) | st.uuids().map(str)
requests = st.one_of(
    # Well-formed envelopes with hostile content reach the NLU and the whole turn.
    st.fixed_dictionaries(
        {"sender": conversation_ids, "message": any_text | messages},
        optional={"metadata": st.dictionaries(st.text(max_size=12), json_values, max_size=6)},
    ).map(lambda body: json.dumps(body).encode()),
    st.fixed_dictionaries(
        {"sender": st.text(min_size=1, max_size=20) | json_values, "message": messages},
        optional={"metadata": json_values, "input_channel": json_values},
    ).map(lambda body: json.dumps(body).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
)


@settings(
    max_examples=GENERATED,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(raw=requests)
def test_generated_requests_never_get_a_5xx(cluster: Cluster, raw: bytes) -> None:
    check(raw)


def test_hand_written_requests_never_get_a_5xx(cluster: Cluster) -> None:
    for raw in HAND_WRITTEN:
        check(raw)


def test_the_server_kept_serving_and_counted_every_request(cluster: Cluster) -> None:
    assert cluster.processes["rasa_a"].poll() is None
    marker = marker_of(send(PORT, "after-fuzz", "what is bdnf?"))
    assert marker.get("topic") == "bdnf"
    print(f"\nfuzz counts: {counts}")
    assert counts["requests"] >= GENERATED + len(HAND_WRITTEN)
    assert counts["4xx"] > 0 and counts["turns"] > 0
