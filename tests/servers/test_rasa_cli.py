"""Rasa's own checks: data validation and the story tests, with prediction errors failing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

RASA = str(Path(sys.executable).with_name("rasa"))
# Rasa 3.6 merges each retrieval intent's generated domain into the domain that declares it and
# reports the intent as a duplicate; every project with retrieval intents sees this one warning,
# naming them (the clinic's intake topics and the article's answers).
KNOWN_RASA_WARNING = "duplicated intents have been found across multiple domain files: clinic, faq"
# `check_in` is set only by the crisis guard, from its rules and classifier; a trained example
# would teach the topic classifier to make check-ins of its own.
GUARD_ONLY_INTENT_WARNING = "The intent 'check_in' is listed in the domain file, but is not found"
# `other_language` likewise is set only by bot/nlu/language.py, from its language detector; an
# example in another language would teach the topic classifier to guess it.
ROUTER_ONLY_INTENT_WARNING = (
    "The intent 'other_language' is listed in the domain file, but is not found"
)
# `crisis_returned` is sent only by the widget's chat page, as a payload, when a person comes back
# after tapping a crisis line's link; nobody types it.
WIDGET_ONLY_INTENT_WARNING = (
    "The intent 'crisis_returned' is listed in the domain file, but is not found"
)
# The safety plan's questions are asked by its form (`utter_ask_<slot>`), which Rasa's validator
# does not count as a use.
FORM_QUESTION_WARNING = re.compile(r"The utterance 'utter_ask_plan_[a-z_]+' is not used")


def rasa(*args: str, command: tuple = (RASA,)) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )


def test_data_validates_without_warnings() -> None:
    result = rasa("data", "validate", "--fail-on-warnings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [
        line
        for line in re.findall(r"UserWarning: (.*)", output)
        if not any(
            known in line
            for known in (
                KNOWN_RASA_WARNING,
                GUARD_ONLY_INTENT_WARNING,
                ROUTER_ONLY_INTENT_WARNING,
                WIDGET_ONLY_INTENT_WARNING,
            )
        )
        and not FORM_QUESTION_WARNING.search(line)
    ]
    assert warnings == []


def test_story_tests_pass_with_prediction_errors_failing(tmp_path: Path) -> None:
    # `rasa test core --e2e`, with Rasa's unreleased fix for full retrieval names
    # (tools.story_test).
    result = rasa(
        "core",
        "--e2e",
        "--model",
        "models/current.tar.gz",
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
        command=(sys.executable, "-m", "tools.story_test"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    stories = sum(
        len(yaml.safe_load(path.read_text())["stories"])
        for path in (ROOT / "tests" / "stories").glob("*.yml")
    )
    assert f"Evaluating {stories} stories" in output
    assert "WrongPredictionException" not in output
