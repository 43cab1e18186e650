"""Rasa's HTTP API: off unless enabled, and never enabled without a token."""

from __future__ import annotations

import pytest

from bot.launcher import rasa_api_args
from bot.settings import settings_from


def test_the_api_is_not_enabled_by_default() -> None:
    assert rasa_api_args(settings_from({}, {})) == []


def test_enabled_the_api_requires_the_token() -> None:
    token = "t0ken-" + "x" * 20
    settings = settings_from({}, {"RASA_API_ENABLED": "true", "RASA_API_TOKEN": token})
    assert rasa_api_args(settings) == ["--enable-api", "--auth-token", token]


@pytest.mark.parametrize("token", ["", "too-short"])
def test_enabled_without_a_usable_token_the_server_does_not_start(token: str) -> None:
    settings = settings_from({"api": {"enabled": True}}, {"RASA_API_TOKEN": token})
    with pytest.raises(RuntimeError, match="auth_token"):
        rasa_api_args(settings)
