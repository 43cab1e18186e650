"""Deployment settings and page metadata: validated, overridable, never echoed unchecked."""

from __future__ import annotations

import logging
from typing import Any, Dict, Tuple

import pytest
import yaml

from bot.settings import (
    DEFAULT_INSIGHTS_DB_URL,
    PAGE_FIELDS,
    PAGE_KEYS,
    SETTING_FIELDS,
    ClinicContact,
    Settings,
    clean_https_url,
    clean_name,
    clean_phone,
    effective_contact,
    page_field_rules,
    page_settings_from,
    settings_from,
)

from conftest import ROOT

FILE = {
    "clinic": {"name": "Bright Path Clinic", "phone": "+1 555 010 0199", "booking_url": ""},
    "crisis": {"region": "US", "line_name": "", "line_phone": ""},
    "privacy": {"retention_minutes": 30},
}


def test_file_values_are_read() -> None:
    settings = settings_from(FILE, {})
    assert settings.contact == ClinicContact("Bright Path Clinic", "+1 555 010 0199", None)
    assert settings.crisis_region == "US"
    assert settings.retention_minutes == 30


def test_environment_overrides_the_file() -> None:
    settings = settings_from(
        FILE,
        {
            "CLINIC_NAME": "Harbour Clinic",
            "CLINIC_BOOKING_URL": "https://harbour.example/book",
            "CRISIS_REGION": "gb",
            "CRISIS_LINE_NAME": "Our on-call nurse",
            "CRISIS_LINE_PHONE": "020 7946 0000",
            "RETENTION_MINUTES": "5",
        },
    )
    assert settings.contact.name == "Harbour Clinic"
    assert settings.contact.phone == "+1 555 010 0199"
    assert settings.contact.booking_url == "https://harbour.example/book"
    assert settings.crisis_region == "GB"
    assert settings.crisis_line is not None and settings.crisis_line.call == "020 7946 0000"
    assert settings.retention_minutes == 5


def test_invalid_deployment_values_are_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        settings = settings_from({"clinic": {"booking_url": "http://insecure.example"}}, {})
    assert settings.contact.booking_url is None
    assert "clinic.booking_url" in caplog.text


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "http://clinic.example",
        "https://",
        "https://a b.example",
        "https://user:pw@clinic.example",
        "https://clinic.example/<script>",
        "x" * 400,
        42,
        None,
    ],
)
def test_only_https_urls_are_accepted(value: object) -> None:
    assert clean_https_url(value)[0] is None


def test_a_plain_https_url_is_accepted() -> None:
    assert clean_https_url(" https://clinic.example/book?slot=1 ")[0] == (
        "https://clinic.example/book?slot=1"
    )


@pytest.mark.parametrize(
    "value", ["<img src=x onerror=alert(1)>", "[click](javascript:x)", "**bold**", "a" * 81, "", 7]
)
def test_names_with_markup_or_too_long_are_refused(value: object) -> None:
    assert clean_name(value)[0] is None


@pytest.mark.parametrize(
    "value",
    ["call me", "12", "+1 (555) 010-0199 ext", "tel:988", "1" * 20, "(1) 2", "1234 5678 9012 3456"],
)
def test_phones_with_other_characters_are_refused(value: str) -> None:
    assert clean_phone(value)[0] is None


@pytest.mark.parametrize(
    "value", ["988", "+1 (555) 010-0199", "020 7946 0000", "13 11 14", "123 456 789 012 345"]
)
def test_real_phone_numbers_are_accepted(value: str) -> None:
    assert clean_phone(value)[0] == value


def test_page_metadata_is_validated_and_refusals_are_logged_without_the_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hostile = "<script>steal()</script>"
    with caplog.at_level(logging.WARNING):
        page = page_settings_from(
            {
                "clinic_name": hostile,
                "clinic_phone": "+1 555 010 0199",
                "booking_url": "javascript:alert(1)",
                "region": "Narnia",
            }
        )
    assert page.contact == ClinicContact(None, "+1 555 010 0199", None)
    assert page.region is None
    assert "clinic_name" in caplog.text and "booking_url" in caplog.text and "region" in caplog.text
    assert hostile not in caplog.text and "javascript" not in caplog.text


@pytest.mark.parametrize("metadata", [None, "a string", ["list"], {"clinic_name": {"nested": 1}}])
def test_malformed_page_metadata_is_ignored(metadata: object) -> None:
    assert page_settings_from(metadata).contact.is_empty()


def test_page_values_win_field_by_field() -> None:
    settings = settings_from(FILE, {})
    page = page_settings_from({"booking_url": "https://bright.example/book"})
    assert effective_contact(settings, page) == ClinicContact(
        "Bright Path Clinic", "+1 555 010 0199", "https://bright.example/book"
    )


def test_a_clinic_line_carries_its_own_hours_or_none() -> None:
    crisis = {"line_name": "Our nurse line", "line_phone": "020 7946 0000"}
    without = settings_from({"crisis": crisis}, {}).crisis_line
    assert without is not None and without.hours is None
    stated = settings_from(
        {"crisis": {**crisis, "line_hours": "Mon-Fri 9:00-17:00"}}, {}
    ).crisis_line
    assert stated is not None and stated.hours == "Mon-Fri 9:00-17:00"
    texted = settings_from(
        {"crisis": {"line_name": "Our text line"}}, {"CRISIS_LINE_TEXT": "07700 900123"}
    ).crisis_line
    assert texted is not None and texted.text == "07700 900123" and texted.call is None


@pytest.mark.parametrize("hours", ["**24/7**", "<b>9-5</b>", "[x](https://evil.example)", "x" * 61])
def test_clinic_line_hours_that_markdown_or_html_would_read_are_dropped(
    hours: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        line = settings_from(
            {"crisis": {"line_name": "Nurse", "line_phone": "555 0100", "line_hours": hours}}, {}
        ).crisis_line
    assert line is not None and line.hours is None
    assert "crisis.line_hours" in caplog.text and hours not in caplog.text


# --- every setting: read from the file, overridden by the environment, checked -----------------

# Per setting: a value in the file, one in the environment, what the environment's gives, a bad
# value in the environment, and what that gives (the default: a bad override never falls back
# to the file).
CASES: Dict[str, Tuple[Any, str, Any, str, Any]] = {
    "clinic_name": ("Bright Path Clinic", "Harbour  Clinic", "Harbour Clinic", "<b>x</b>", None),
    "clinic_phone": ("+1 555 010 0199", "020 7946 0000", "020 7946 0000", "call me", None),
    "clinic_booking_url": (
        "https://a.example/book", "https://b.example/x", "https://b.example/x", "http://b.example",
        None,
    ),
    "crisis_region": ("GB", "au", "AU", "Narnia", "US"),
    "crisis_line_name": ("Our nurse", "Night nurse", "Night nurse", "**Nurse**", None),
    "crisis_line_phone": ("555 0100", "555 0111", "555 0111", "tel:555", None),
    "crisis_line_text": ("555 0123", "555 0124", "555 0124", "text me", None),
    "crisis_line_hours": ("24/7", "Mon-Fri 9:00-17:00", "Mon-Fri 9:00-17:00", "<b>9</b>", None),
    "crisis_timezone": (
        "America/Chicago",
        "Europe/London",
        "Europe/London",
        "Mars/Olympus_Mons",
        None,
    ),
    "retention_minutes": (30, "5", 5, "-1", 60),
    "max_message_chars": (500, "800", 800, "none", 2000),
    "widget_frame_ancestors": (
        ["https://a.example"], "https://b.example", ("https://b.example",), "https://*.example", (),
    ),
    "widget_demo_origin": (
        "http://localhost:5006", "http://localhost:6006", "http://localhost:6006",
        "https://*.example", None,
    ),
    "max_metadata_chars": (1000, "2000", 2000, "lots", 4000),
    "rate_limit_conversation_per_minute": (10, "0", 0, "-5", 30),
    "rate_limit_client_per_minute": (100, "50", 50, "many", 300),
    "rate_limit_always_allow_first": (1, "2", 2, "-1", 3),
    "api_enabled": (True, "yes", True, "maybe", False),
    "api_auth_token": ("a" * 20, "b" * 20, "b" * 20, "too-short", None),
    "insights_record": (False, "on", True, "perhaps", False),
    "insights_db_url": (
        "sqlite:///x.db", "postgresql://h/db", "postgresql://h/db", "mysql://h/db",
        DEFAULT_INSIGHTS_DB_URL,
    ),
    "insights_retention_days": (30, "90", 90, "0", 400),
    "insights_token": ("t" * 16, "u" * 16, "u" * 16, "too-short", None),
    "insights_clinics": (["A"], "B; C, Site", ("B", "C, Site"), "<b>bad</b>", ()),
    "insights_timezone": (
        "Europe/London", "America/Chicago", "America/Chicago", "Mars/Olympus", "UTC",
    ),
    "rasa_host": ("127.0.0.1", "::", "::", "everywhere", "0.0.0.0"),
    "actions_host": ("0.0.0.0", " localhost ", "localhost", "10.0.0.5:5055", "127.0.0.1"),
}  # fmt: skip
# The settings whose parser falls back silently: a number or a flag.
QUIET = {
    "retention_minutes",
    "max_message_chars",
    "max_metadata_chars",
    "rate_limit_conversation_per_minute",
    "rate_limit_client_per_minute",
    "rate_limit_always_allow_first",
    "api_enabled",
    "insights_record",
    "insights_retention_days",
}
# A clinic line needs a name and a number: the file gives both, a case then replaces one part.
LINE = {"crisis": {"line_name": "Nurse", "line_phone": "555 0100"}}
LINE_PARTS = {"name": "name", "phone": "call", "text": "text", "hours": "hours"}


def value_of(settings: Settings, name: str) -> Any:
    if name.startswith("clinic_"):
        return getattr(settings.contact, name[len("clinic_") :])
    if name.startswith("crisis_line_"):
        line = settings.crisis_line
        return getattr(line, LINE_PARTS[name[len("crisis_line_") :]]) if line else None
    return getattr(settings, name)


def test_every_setting_has_a_case() -> None:
    assert set(CASES) == {setting.name for setting in SETTING_FIELDS}


def test_with_no_file_and_no_environment_every_setting_is_its_default() -> None:
    assert settings_from({}, {}) == Settings()


@pytest.mark.parametrize("setting", SETTING_FIELDS, ids=lambda setting: setting.name)
def test_each_setting_is_read_overridden_and_checked(
    setting: Any, caplog: pytest.LogCaptureFixture
) -> None:
    in_file, in_env, from_env, bad, from_bad = CASES[setting.name]
    section, key = setting.key.split(".")
    data: Dict[str, Any] = {section: {**LINE.get(section, {}), key: in_file}}
    expected_from_file = tuple(in_file) if isinstance(in_file, list) else in_file
    assert value_of(settings_from(data, {}), setting.name) == expected_from_file
    assert value_of(settings_from(data, {setting.env: ""}), setting.name) == expected_from_file
    assert value_of(settings_from(data, {setting.env: in_env}), setting.name) == from_env
    with caplog.at_level(logging.WARNING):
        assert value_of(settings_from(data, {setting.env: bad}), setting.name) == from_bad
    if setting.name in QUIET:
        assert caplog.text == ""
    else:
        assert f"'{setting.key}" in caplog.text and bad not in caplog.text


def test_every_setting_is_documented_in_clinic_yml_and_the_readme() -> None:
    text = (ROOT / "clinic.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for setting in SETTING_FIELDS:
        section, key = setting.key.split(".")
        assert key in data[section], setting.key
        assert setting.env in text and f"`{setting.env}`" in readme, setting.env


# --- the values a page may send -----------------------------------------------------------------


def test_the_page_fields_are_the_documented_four() -> None:
    assert PAGE_KEYS == ("clinic_name", "clinic_phone", "booking_url", "region")


def test_the_chat_page_gets_the_servers_rules() -> None:
    rules = page_field_rules()
    assert list(rules) == list(PAGE_KEYS)
    for field in PAGE_FIELDS:
        rule = rules[field.key]
        # Only `\w` is spelt out (JavaScript's means ASCII only); the rest is the server's pattern.
        assert rule["pattern"].replace(r"\p{L}\p{N}_", r"\w") == field.pattern
        assert "u" in rule["flags"] and ("i" in rule["flags"]) == field.ignore_case
    assert rules["region"]["upper"] and rules["clinic_name"]["join_spaces"]
