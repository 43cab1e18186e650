"""The clinic's own answers: read from clinic.yml or the file it names, checked, and whose."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import yaml

from bot.clinic_answers import (
    MAX_ANSWER_CHARS,
    ClinicAnswers,
    ClinicAnswersError,
    SourceFile,
    answers_from,
    intake,
    intake_topics,
)
from bot.settings import ANSWERS_FILE_ENV, SETTINGS_PATH_ENV, read_settings
from bot.topics import load_topics

from conftest import ROOT

DEMO = ROOT / "bot" / "widget" / "demo_clinic.yml"
TOPICS = (
    "cost",
    "insurance",
    "hours",
    "location",
    "booking",
    "first_visit",
    "eligibility",
    "session",
    "integration_support",
    "contact",
)


def write(tmp_path: Path, text: str, name: str = "clinic.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def settings_error(tmp_path: Path, text: str, **environ: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ClinicAnswersError) as raised:
        read_settings({SETTINGS_PATH_ENV: str(path), **environ})
    return str(raised.value)


def test_the_intake_topics_are_the_issues_ten_and_never_an_article_topic() -> None:
    assert tuple(intake_topics()) == TOPICS
    assert not set(intake_topics()) & set(load_topics())
    for topic in intake_topics().values():
        assert topic.title and topic.about and topic.response == f"utter_clinic/{topic.id}"
    # Every article topic names what its follow-ups are about.
    assert set(load_topics()) <= set(intake().subjects)


def test_the_project_clinic_file_has_every_topic_and_no_answer(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "clinic.yml").read_text(encoding="utf-8"))
    assert set(data["answers"]) == set(TOPICS) | {"file", "clinic_name"}
    assert read_settings({SETTINGS_PATH_ENV: str(ROOT / "clinic.yml")}).clinic_answers.is_empty()


def test_answers_written_in_clinic_yml_belong_to_its_clinic(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'clinic:\n  name: "Harbour Clinic"\n'
        "answers:\n"
        '  hours: "Monday to Friday, 9:00 to 17:00."\n'
        "  cost: |\n"
        "    A consultation is $150.\n"
        "\n"
        "    See [our prices](https://harbour.example/prices), call [us](tel:+15550100100)\n"
        "    or write to [the team](mailto:team@harbour.example).   \n"
        '  booking: ""\n',
    )
    answers = read_settings({SETTINGS_PATH_ENV: str(path)}).clinic_answers
    assert answers.clinic_name == "Harbour Clinic"
    assert answers.answer("hours") == "Monday to Friday, 9:00 to 17:00."
    assert answers.answer("cost") == (
        "A consultation is $150.\n\nSee [our prices](https://harbour.example/prices), call "
        "[us](tel:+15550100100)\nor write to [the team](mailto:team@harbour.example)."
    )
    # Left empty: no answer, so the turn says the clinic hasn't written one.
    assert answers.answer("booking") is None and answers.answer("insurance") is None


def test_the_demo_file_answers_every_topic_for_the_demo_clinic() -> None:
    answers = read_settings({ANSWERS_FILE_ENV: str(DEMO)}).clinic_answers
    assert answers.clinic_name == "Bright Path Clinic"
    assert set(answers.answers) == set(TOPICS)


@pytest.mark.parametrize(
    "page_clinic, gets",
    [
        ("Harbour Clinic", True),
        ("  harbour   CLINIC ", True),
        ("Bright Path Clinic", False),
        (None, False),
        ("", False),
    ],
)
def test_only_the_clinic_the_answers_belong_to_gets_them(page_clinic: str, gets: bool) -> None:
    answers = ClinicAnswers("Harbour Clinic", {"hours": "9 to 5"})
    assert answers.apply_to(page_clinic) is gets
    assert ClinicAnswers("Harbour Clinic", {}).apply_to("Harbour Clinic") is False


def test_an_answers_file_is_read_relative_to_clinic_yml(tmp_path: Path) -> None:
    write(tmp_path, 'hours: "Open every day, 8:00 to 20:00."\n', "answers.yml")
    path = write(tmp_path, 'clinic:\n  name: "Harbour Clinic"\nanswers:\n  file: "answers.yml"\n')
    answers = read_settings({SETTINGS_PATH_ENV: str(path)}).clinic_answers
    assert answers.answers == {"hours": "Open every day, 8:00 to 20:00."}
    assert answers.clinic_name == "Harbour Clinic"


# A clinic file with a mistake in it stops the start, with the file, the line and the key.
MISTAKES = [
    (
        'clinic:\n  name: "Harbour Clinic"\nanswers:\n  cost: |\n    A session is $400.\n'
        "    See [prices](http://harbour.example/prices).\n",
        "clinic.yml, line 6, answers.cost: a link may go only to https:, tel: or mailto:",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  hours: "Open <b>late</b> on Fridays"\n',
        "clinic.yml, line 4, answers.hours: plain text only: no HTML",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  contact: "[email](mailto:not an address)"\n',
        "clinic.yml, line 4, answers.contact: a link is written [words](https://...)",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  contact: "write to javascript:alert(1)"\n',
        "clinic.yml, line 4, answers.contact: links only to https:, tel: or mailto:",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  booking: "[book](https://user:pw@h.example/)"\n',
        "clinic.yml, line 4, answers.booking: a link may go only to https:, tel: or mailto:",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  booking: "call [us](tel:555 0100)"\n',
        "clinic.yml, line 4, answers.booking: a link is written",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  parking: "behind the building"\n',
        "clinic.yml, line 4, answers.parking: not an intake topic",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  hours: 9\n',
        "clinic.yml, line 4, answers.hours: must be text",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  hours: "' + "a" * (MAX_ANSWER_CHARS + 1) + '"\n',
        f"clinic.yml, line 4, answers.hours: at most {MAX_ANSWER_CHARS} characters",
    ),
    (
        'answers:\n  hours: "Open every day."\n',
        "clinic.yml, line 1, answers: whose answers are these? Set clinic.name",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  clinic_name: "<b>"\n  hours: "Open."\n',
        "clinic.yml, line 4, answers.clinic_name: must be at most 80 letters",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  file: "answers.yml"\n  hours: "Open."\n',
        "clinic.yml, line 4, answers.file: write the answers here or in the file it names",
    ),
    (
        'clinic:\n  name: "H"\nanswers:\n  file: "missing.yml"\n',
        "clinic.yml, line 4, answers.file: no such file",
    ),
    ('clinic:\n  name: "H"\nanswers: [1, 2]\n', "clinic.yml, line 3, answers: must be a mapping"),
]


@pytest.mark.parametrize("text, expected", MISTAKES)
def test_a_mistake_is_named_with_its_place_in_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert settings_error(tmp_path, text).startswith(expected)


def test_a_mistake_in_an_answers_file_names_that_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, 'hours: "Open."\ncost: |\n  Fine.\n  [pay](ftp://h.example)\n', "own.yml")
    message = settings_error(
        tmp_path, 'clinic:\n  name: "H"\n', **{ANSWERS_FILE_ENV: str(tmp_path / "own.yml")}
    )
    assert message.startswith("own.yml, line 4, cost: a link may go only to https:")
    write(tmp_path, "hours: [\n", "broken.yml")
    message = settings_error(
        tmp_path, 'clinic:\n  name: "H"\n', **{ANSWERS_FILE_ENV: str(tmp_path / "broken.yml")}
    )
    assert message.startswith("broken.yml, line 2: not valid YAML")


def test_without_a_file_the_place_is_the_key() -> None:
    with pytest.raises(ClinicAnswersError, match=r"^clinic.yml, answers.hours: must be text"):
        answers_from({"hours": 3}, SourceFile("clinic.yml"), "H")


def test_the_answers_kept_are_the_clinics_words_only() -> None:
    answers: Dict[str, str] = dict(
        answers_from({"hours": "  Open.\n\n  ", "cost": None}, SourceFile("x"), "H").answers
    )
    assert answers == {"hours": "Open."}
