"""Deployment settings and page metadata: validated, overridable, never echoed unchecked."""

from __future__ import annotations

import logging

import pytest

from bot.settings import (
    ClinicContact,
    clean_https_url,
    clean_name,
    clean_phone,
    effective_contact,
    page_settings_from,
    settings_from,
)

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


@pytest.mark.parametrize("value", ["call me", "12", "+1 (555) 010-0199 ext", "tel:988", "1" * 20])
def test_phones_with_other_characters_are_refused(value: str) -> None:
    assert clean_phone(value)[0] is None


@pytest.mark.parametrize("value", ["988", "+1 (555) 010-0199", "020 7946 0000", "13 11 14"])
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
