"""Rate limits: per conversation and per client, with Retry-After, never hiding a crisis."""

from __future__ import annotations

from typing import List

import pytest

from bot.rate_limit import RateLimiter
from bot.settings import settings_from


def limiter(
    now: List[float], conversation: int = 6, client: int = 100, first: int = 3, crisis: bool = False
) -> RateLimiter:
    return RateLimiter(
        conversation_per_minute=conversation,
        client_per_minute=client,
        always_allow_first=first,
        is_crisis=lambda text: crisis and "die" in text,
        clock=lambda: now[0],
    )


def test_a_conversation_over_its_limit_is_refused_with_a_retry_after() -> None:
    now = [0.0]
    limits = limiter(now, conversation=6)
    assert all(limits.check("c", "ip", "hi").allowed for _ in range(6))
    refused = limits.check("c", "ip", "hi")
    assert not refused.allowed and refused.limit == "conversation"
    assert refused.retry_after_s == 10  # one message every 60/6 seconds
    assert limits.check("other", "ip", "hi").allowed  # another conversation is unaffected
    now[0] += 10
    assert limits.check("c", "ip", "hi").allowed
    assert not limits.check("c", "ip", "hi").allowed


def test_a_client_over_its_limit_is_refused_across_conversations() -> None:
    now = [0.0]
    limits = limiter(now, conversation=1000, client=10, first=0)
    assert all(limits.check(f"c{i % 3}", "1.2.3.4", "hi").allowed for i in range(10))
    refused = limits.check("c0", "1.2.3.4", "hi")
    assert not refused.allowed and refused.limit == "client" and refused.retry_after_s == 6
    assert limits.check("c0", "5.6.7.8", "hi").allowed


def test_a_conversations_first_messages_always_pass() -> None:
    now = [0.0]
    limits = limiter(now, conversation=100, client=2, first=3)
    for _ in range(2):
        assert limits.check("busy", "ip", "hi").allowed
    # The client is out of tokens, but a new conversation's first three messages still pass.
    assert [limits.check("new", "ip", "hi").allowed for _ in range(4)] == [True, True, True, False]


def test_crisis_rule_matches_pass_any_limit() -> None:
    now = [0.0]
    limits = limiter(now, conversation=2, client=2, first=0, crisis=True)
    assert limits.check("c", "ip", "hi").allowed and limits.check("c", "ip", "hi").allowed
    assert not limits.check("c", "ip", "what is bdnf").allowed
    assert limits.check("c", "ip", "i want to die").allowed


def test_zero_turns_a_limit_off() -> None:
    now = [0.0]
    limits = limiter(now, conversation=0, client=0, first=0)
    assert all(limits.check("c", "ip", "hi").allowed for _ in range(1000))


def test_idle_buckets_are_forgotten() -> None:
    now = [0.0]
    limits = limiter(now)
    for number in range(500):
        limits.check(f"c{number}", f"ip{number}", "hi")
    now[0] += 7200
    limits.check("late", "ip", "hi")
    assert len(limits._conversations._buckets) == 1 and len(limits._clients._buckets) == 1


def test_the_channel_runs_the_projects_crisis_rules() -> None:
    from bot.channels import crisis_rules_match

    assert crisis_rules_match("I want to KILL MYSELF")
    assert not crisis_rules_match("what is bdnf?")


def test_a_limit_never_hides_the_lines_from_a_spanish_crisis() -> None:
    from bot.channels import channel_crisis_match, limiter_for

    assert channel_crisis_match("quiero morir, ya no aguanto más")
    assert not channel_crisis_match("¿qué es la ketamina y cómo funciona?")
    limits = limiter_for(
        settings_from(
            {}, {"RATE_LIMIT_CONVERSATION_PER_MINUTE": "1", "RATE_LIMIT_ALWAYS_ALLOW_FIRST": "0"}
        )
    )
    assert limits.check("es", "ip", "hola").allowed
    assert not limits.check("es", "ip", "¿qué es la ketamina?").allowed
    assert limits.check("es", "ip", "me quiero matar").allowed


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, (30, 300, 3)),
        (
            {
                "RATE_LIMIT_CONVERSATION_PER_MINUTE": "5",
                "RATE_LIMIT_CLIENT_PER_MINUTE": "0",
                "RATE_LIMIT_ALWAYS_ALLOW_FIRST": "1",
            },
            (5, 0, 1),
        ),
        ({"RATE_LIMIT_CONVERSATION_PER_MINUTE": "-4"}, (30, 300, 3)),
    ],
)
def test_limits_come_from_the_settings_with_environment_overrides(environ, expected) -> None:
    file = {"rate_limits": {"conversation_per_minute": 30, "client_per_minute": 300}}
    settings = settings_from(file, environ)
    assert (
        settings.rate_limit_conversation_per_minute,
        settings.rate_limit_client_per_minute,
        settings.rate_limit_always_allow_first,
    ) == expected


def test_the_api_is_off_by_default_and_a_short_token_is_refused() -> None:
    assert settings_from({}, {}).api_enabled is False
    on = settings_from({"api": {"enabled": True}}, {"RASA_API_TOKEN": "a" * 20})
    assert on.api_enabled and on.api_auth_token == "a" * 20
    assert settings_from({}, {"RASA_API_TOKEN": "short"}).api_auth_token is None
    assert "a" * 20 not in repr(on)
