"""Deployment settings: read from `clinic.yml`, overridden by environment variables, validated.

This is the one place that reads clinic settings and the one place that validates values a page
sends as message metadata. Everything else asks `load_settings()` and `page_settings_from()`.
Each setting is one row of `SETTING_FIELDS`; each value a page may send, one row of
`PAGE_FIELDS`. The crisis-line directory is content, in `bot/crisis_lines.yml`. The clinic's own
answers to intake questions (`answers:`, or the file it names) are read here too and checked by
`bot.clinic_answers.answers_from`: unlike a setting, an answer with a mistake stops the process
with its place in the file, rather than being left out.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

import yaml

# The crisis-line directory is content (bot/crisis_lines.yml); a clinic's own line is a setting.
# Re-exported for modules that still import the directory from here (bot.turns).
from bot.clinic_answers import ClinicAnswers, SourceFile, answers_from
from bot.crisis_lines import HelpLine

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SETTINGS_PATH_ENV = "CLINIC_SETTINGS"
# A file of the clinic's answers, instead of clinic.yml's `answers.file`.
ANSWERS_FILE_ENV = "CLINIC_ANSWERS_FILE"
DEFAULT_SETTINGS_PATH = PROJECT_ROOT / "clinic.yml"

DEFAULT_INSIGHTS_DB_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'insights.sqlite3'}"

MAX_NAME_CHARS = 80
MAX_URL_CHARS = 300
# The rules for the values a page may send (PAGE_FIELDS) are regular expressions that the chat
# page applies too (`page_field_rules`): write them in the syntax Python and JavaScript share.
# Letters, digits, spaces and light punctuation: nothing that Markdown or HTML would interpret.
NAME_PATTERN = r"^[\w .,'&/+-]{1,%d}$" % MAX_NAME_CHARS
# 3-15 digits (the look-ahead counts them), with optional + ( ) - . and spaces.
PHONE_PATTERN = r"^(?=(?:[^0-9]*[0-9]){3,15}[^0-9]*$)\+?[0-9][0-9 ().-]{1,23}[0-9]$"
# Case-insensitive; the server also checks that it names a host and carries no credentials.
URL_PATTERN = r"""^https://[^\s<>"'()\[\]{}\\^`|]{0,%d}$""" % (MAX_URL_CHARS - len("https://"))
REGION_PATTERN = r"^[A-Za-z]{2}$"
_NAME = re.compile(NAME_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)
_URL = re.compile(URL_PATTERN, re.IGNORECASE)
_REGION = re.compile(REGION_PATTERN)
# A line's hours as the clinic words them ("Mon-Fri 9:00-17:00"): no Markdown or HTML.
MAX_HOURS_CHARS = 60
_HOURS = re.compile(r"^[\w .,:'&/+-]{1,%d}$" % MAX_HOURS_CHARS)
_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# An exact origin that may frame the widget: https anywhere, plain http only on this machine.
_ORIGIN = re.compile(
    r"^(?:https://%s(?:\.%s)*|http://(?:localhost|127\.0\.0\.1))(?::(\d{1,5}))?$"
    % (_HOST_LABEL, _HOST_LABEL)
)


@dataclass(frozen=True)
class ClinicContact:
    """Who to refer people to; any field may be missing."""

    name: Optional[str] = None
    phone: Optional[str] = None
    booking_url: Optional[str] = None

    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.booking_url)


@dataclass(frozen=True)
class Settings:
    """A deployment's settings, after validation."""

    contact: ClinicContact = field(default_factory=ClinicContact)
    crisis_region: str = "US"
    crisis_line: Optional[HelpLine] = None
    # The clinic line's time zone: with hours in the simple form (bot.line_hours), the referral
    # turns say whether the line is open now.
    crisis_timezone: Optional[str] = None
    retention_minutes: int = 60
    max_message_chars: int = 2000
    # Exact origins whose pages may frame the web widget; empty means none may.
    widget_frame_ancestors: Tuple[str, ...] = ()
    # The demo intake page's origin (`make run`), which may embed the widget too.
    widget_demo_origin: Optional[str] = None
    # Requests whose metadata, as JSON, is longer than this are refused with a 413.
    max_metadata_chars: int = 4000
    # Token buckets: up to this many messages at once, refilled at this many per minute; 0 = off.
    rate_limit_conversation_per_minute: int = 30
    rate_limit_client_per_minute: int = 300
    # A conversation's first messages are never rate limited, so a crisis at the start is heard.
    rate_limit_always_allow_first: int = 3
    # Rasa's HTTP API (conversations, trackers, model): off unless enabled, and then needs a token.
    api_enabled: bool = False
    api_auth_token: Optional[str] = field(default=None, repr=False)
    # Clinic insights (bot.insights): facts about turns, never words. `record` off keeps nothing.
    insights_record: bool = True
    # SQLAlchemy URL; may carry a password, so it is never logged or shown.
    insights_db_url: str = field(default=DEFAULT_INSIGHTS_DB_URL, repr=False)
    insights_retention_days: int = 400
    # The staff page at /insights exists only when this is set (at least 16 characters).
    insights_token: Optional[str] = field(default=None, repr=False)
    # Clinic names recorded as they are; any other name a page sends is recorded as "other".
    insights_clinics: Tuple[str, ...] = ()
    # Where a day begins and ends on the staff page and in `make insights`.
    insights_timezone: str = "UTC"
    # The addresses the servers listen on (bot.launcher): the Rasa server on every interface,
    # the action server, which only the Rasa server calls, on this machine's loopback only.
    rasa_host: str = "0.0.0.0"
    actions_host: str = "127.0.0.1"
    # The clinic's own answers to intake questions (bot.clinic_answers), checked at start-up.
    clinic_answers: ClinicAnswers = field(default_factory=ClinicAnswers)


# --- validators: return the clean value, or None with the reason -------------------------------


def clean_name(value: Any) -> Tuple[Optional[str], str]:
    if not isinstance(value, str) or not value.strip():
        return None, "not a non-empty string"
    value = " ".join(value.split())
    if not _NAME.match(value):
        return None, f"must be at most {MAX_NAME_CHARS} letters, digits, spaces or .,'&/+-"
    return value, ""


def clean_phone(value: Any) -> Tuple[Optional[str], str]:
    if not isinstance(value, str):
        return None, "not a string"
    value = value.strip()
    if not _PHONE.match(value):
        return None, "must be 3-15 digits with optional + ( ) - . and spaces"
    return value, ""


def clean_https_url(value: Any) -> Tuple[Optional[str], str]:
    if not isinstance(value, str):
        return None, "not a string"
    value = value.strip()
    if not value.lower().startswith("https://"):
        return None, "must be an https:// URL"
    if not _URL.match(value):
        return None, f"must be at most {MAX_URL_CHARS} characters with no spaces or brackets"
    parts = urlsplit(value)
    if not parts.hostname or parts.username or parts.password:
        return None, "must name a host and carry no credentials"
    return value, ""


def clean_hours(value: Any) -> Tuple[Optional[str], str]:
    if not isinstance(value, str) or not value.strip():
        return None, "not a non-empty string"
    value = " ".join(value.split())
    if not _HOURS.match(value):
        return None, f"must be at most {MAX_HOURS_CHARS} letters, digits, spaces or .,:'&/+-"
    return value, ""


def clean_region(value: Any) -> Tuple[Optional[str], str]:
    if not isinstance(value, str) or not _REGION.match(value.strip()):
        return None, "must be a two-letter country code"
    return value.strip().upper(), ""


def clean_origin(value: Any) -> Tuple[Optional[str], str]:
    reason = "must be an exact https://host[:port] or http://localhost[:port] origin"
    if not isinstance(value, str):
        return None, reason
    value = value.strip().lower()
    match = _ORIGIN.match(value)
    if not match or (match.group(1) and not 0 < int(match.group(1)) < 65536):
        return None, reason
    return value, ""


def clean_host(value: Any) -> Tuple[Optional[str], str]:
    reason = "must be localhost or an IP address to listen on, such as 127.0.0.1 or 0.0.0.0"
    if not isinstance(value, str):
        return None, reason
    value = value.strip()
    if value.lower() == "localhost":
        return "localhost", ""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None, reason
    return value, ""


Cleaner = Callable[[Any], Tuple[Optional[str], str]]


def _accept(source: str, key: str, value: Any, cleaner: Cleaner) -> Optional[str]:
    """Returns the cleaned value or logs why it was refused; never logs the value itself."""
    if value is None or value == "":
        return None
    cleaned, reason = cleaner(value)
    if cleaned is None:
        logger.warning("Ignored %s setting '%s': %s.", source, key, reason)
    return cleaned


# --- deployment settings ------------------------------------------------------------------------

# A setting's parser: (its key in clinic.yml, the value found, its default) -> the value to use.
# A parser never raises and never logs the value: what it cannot use gives the default, with a
# warning that names the key (a number out of range, silently; a flag is false unless true).
Parser = Callable[[str, Any, Any], Any]


def _cleaned(cleaner: Cleaner) -> Parser:
    def parse(key: str, value: Any, default: Any) -> Any:
        return _accept("deployment", key, value, cleaner) or default

    return parse


def _positive_int(key: str, value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _non_negative_int(key: str, value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def _flag(key: str, value: Any, default: bool) -> bool:
    """True for true, 1, yes and on; anything else given is false."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _origins(key: str, value: Any, default: Tuple[str, ...]) -> Tuple[str, ...]:
    """A list from the file, or a comma- or space-separated string from the environment."""
    if value is None or value == "":
        return default
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list):
        logger.warning("Ignored deployment setting '%s': not a list.", key)
        return default
    origins = (
        _accept("deployment", f"{key}[{index}]", item, clean_origin)
        for index, item in enumerate(items)
    )
    return tuple(dict.fromkeys(origin for origin in origins if origin))


MIN_API_TOKEN_CHARS = 16


def _token(key: str, value: Any, default: Optional[str] = None) -> Optional[str]:
    """A token long enough not to be guessed, or None; the value itself is never logged."""
    if value is None or value == "":
        return default
    token = str(value).strip()
    if len(token) < MIN_API_TOKEN_CHARS or any(ch.isspace() for ch in token):
        logger.warning(
            "Ignored deployment setting '%s': must be at least %d characters, no spaces.",
            key,
            MIN_API_TOKEN_CHARS,
        )
        return default
    return token


_DB_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg2")


def _db_url(key: str, value: Any, default: str) -> str:
    """An SQLite or PostgreSQL URL for SQLAlchemy; the URL (it may hold a password) is never
    logged, only that it was refused."""
    if value is None or value == "":
        return default
    url = str(value).strip()
    if url.split("://", 1)[0].lower() not in _DB_SCHEMES or "://" not in url:
        logger.warning(
            "Ignored deployment setting '%s': must start with sqlite:// or "
            "postgresql://; using the default SQLite file.",
            key,
        )
        return default
    return url


def _clinic_names(key: str, value: Any, default: Tuple[str, ...]) -> Tuple[str, ...]:
    """A list from the file, or a ';'-separated string from the environment (names may hold
    commas, never semicolons)."""
    if value is None or value == "":
        return default
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list):
        logger.warning("Ignored deployment setting '%s': not a list.", key)
        return default
    names = (
        _accept("deployment", f"{key}[{index}]", item, clean_name)
        for index, item in enumerate(items)
    )
    return tuple(dict.fromkeys(name for name in names if name))


def _timezone(key: str, value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value).strip())
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Ignored deployment setting '%s': not a known time zone.", key)
        return default
    return str(value).strip()


@dataclass(frozen=True)
class SettingField:
    """One deployment setting: where it is read from, how it is checked, what it is without."""

    # The `Settings` attribute it fills; `clinic_*` fill `contact`, `crisis_line_*` the clinic's
    # own crisis line.
    name: str
    # "section.key" in clinic.yml.
    key: str
    # The environment variable that overrides the file; empty counts as not set.
    env: str
    parse: Parser
    # When neither the file nor the environment gives it.
    default: Any


SETTING_FIELDS: Tuple[SettingField, ...] = (
    SettingField("clinic_name", "clinic.name", "CLINIC_NAME", _cleaned(clean_name), None),
    SettingField("clinic_phone", "clinic.phone", "CLINIC_PHONE", _cleaned(clean_phone), None),
    SettingField(
        "clinic_booking_url",
        "clinic.booking_url",
        "CLINIC_BOOKING_URL",
        _cleaned(clean_https_url),
        None,
    ),
    SettingField("crisis_region", "crisis.region", "CRISIS_REGION", _cleaned(clean_region), "US"),
    SettingField(
        "crisis_line_name", "crisis.line_name", "CRISIS_LINE_NAME", _cleaned(clean_name), None
    ),
    SettingField(
        "crisis_line_phone", "crisis.line_phone", "CRISIS_LINE_PHONE", _cleaned(clean_phone), None
    ),
    SettingField(
        "crisis_line_text", "crisis.line_text", "CRISIS_LINE_TEXT", _cleaned(clean_phone), None
    ),
    SettingField(
        "crisis_line_hours", "crisis.line_hours", "CRISIS_LINE_HOURS", _cleaned(clean_hours), None
    ),
    SettingField(
        "crisis_timezone", "crisis.line_timezone", "CRISIS_LINE_TIMEZONE", _timezone, None
    ),
    SettingField(
        "retention_minutes", "privacy.retention_minutes", "RETENTION_MINUTES", _positive_int, 60
    ),
    SettingField(
        "max_message_chars", "limits.max_message_chars", "MAX_MESSAGE_CHARS", _positive_int, 2000
    ),
    SettingField(
        "widget_frame_ancestors",
        "widget.frame_ancestors",
        "WIDGET_FRAME_ANCESTORS",
        _origins,
        (),
    ),
    SettingField(
        "widget_demo_origin",
        "widget.demo_origin",
        "WIDGET_DEMO_ORIGIN",
        _cleaned(clean_origin),
        None,
    ),
    SettingField(
        "max_metadata_chars",
        "limits.max_metadata_chars",
        "MAX_METADATA_CHARS",
        _positive_int,
        4000,
    ),
    SettingField(
        "rate_limit_conversation_per_minute",
        "rate_limits.conversation_per_minute",
        "RATE_LIMIT_CONVERSATION_PER_MINUTE",
        _non_negative_int,
        30,
    ),
    SettingField(
        "rate_limit_client_per_minute",
        "rate_limits.client_per_minute",
        "RATE_LIMIT_CLIENT_PER_MINUTE",
        _non_negative_int,
        300,
    ),
    SettingField(
        "rate_limit_always_allow_first",
        "rate_limits.always_allow_first",
        "RATE_LIMIT_ALWAYS_ALLOW_FIRST",
        _non_negative_int,
        3,
    ),
    SettingField("api_enabled", "api.enabled", "RASA_API_ENABLED", _flag, False),
    SettingField("api_auth_token", "api.auth_token", "RASA_API_TOKEN", _token, None),
    SettingField("insights_record", "insights.record", "INSIGHTS_RECORD", _flag, True),
    SettingField(
        "insights_db_url", "insights.db_url", "INSIGHTS_DB_URL", _db_url, DEFAULT_INSIGHTS_DB_URL
    ),
    SettingField(
        "insights_retention_days",
        "insights.retention_days",
        "INSIGHTS_RETENTION_DAYS",
        _positive_int,
        400,
    ),
    SettingField("insights_token", "insights.token", "INSIGHTS_TOKEN", _token, None),
    SettingField("insights_clinics", "insights.clinics", "INSIGHTS_CLINICS", _clinic_names, ()),
    SettingField("insights_timezone", "insights.timezone", "INSIGHTS_TIMEZONE", _timezone, "UTC"),
    SettingField("rasa_host", "servers.rasa_host", "RASA_HOST", _cleaned(clean_host), "0.0.0.0"),
    SettingField(
        "actions_host",
        "servers.actions_host",
        "ACTIONS_HOST",
        _cleaned(clean_host),
        "127.0.0.1",
    ),
)


def _read_file(path: Path) -> Tuple[Dict[str, Any], str]:
    """The file's settings and its text (to name the line of a mistake in it)."""
    if not path.exists():
        logger.warning("Settings file %s not found; using defaults.", path)
        return {}, ""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must be a mapping")
    return data, text


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = data.get(name) or {}
    return section if isinstance(section, Mapping) else {}


def _value_of(setting: SettingField, data: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    """The environment's value, else the file's, parsed; the default when neither gives one."""
    section_name, key = setting.key.split(".")
    section = _section(data, section_name)
    if environ.get(setting.env, "") != "":
        found: Any = environ[setting.env]
    elif key in section:
        found = section[key]
    else:
        return setting.default
    return setting.parse(setting.key, found, setting.default)


def settings_from(
    data: Mapping[str, Any],
    environ: Mapping[str, str],
    source: Optional[SourceFile] = None,
    base: Optional[Path] = None,
) -> Settings:
    """Builds settings from the file's data with environment overrides, validating each value.

    `source` is the settings file (its name and text, for the place of a mistake in the
    clinic's answers) and `base` the directory a relative answers file is read from. Raises
    `bot.clinic_answers.ClinicAnswersError` when an answer cannot be shown as written."""
    values = {setting.name: _value_of(setting, data, environ) for setting in SETTING_FIELDS}
    contact = ClinicContact(
        name=values.pop("clinic_name"),
        phone=values.pop("clinic_phone"),
        booking_url=values.pop("clinic_booking_url"),
    )
    line_name, line_phone, line_text, line_hours = (
        values.pop(f"crisis_line_{part}") for part in ("name", "phone", "text", "hours")
    )
    clinic_line = (
        HelpLine(line_name, call=line_phone, text=line_text, hours=line_hours)
        if line_name and (line_phone or line_text)
        else None
    )
    answers = answers_from(
        data.get("answers"),
        source or SourceFile(DEFAULT_SETTINGS_PATH.name),
        contact.name,
        file_override=environ.get(ANSWERS_FILE_ENV) or None,
        base=base or PROJECT_ROOT,
    )
    return Settings(contact=contact, crisis_line=clinic_line, clinic_answers=answers, **values)


def read_settings(environ: Mapping[str, str]) -> Settings:
    """The settings a process with this environment would have (e.g. a server about to start)."""
    path = Path(environ.get(SETTINGS_PATH_ENV) or DEFAULT_SETTINGS_PATH)
    data, text = _read_file(path)
    return settings_from(data, environ, SourceFile(path.name, text), path.resolve().parent)


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """The deployment's settings, read once per process."""
    return read_settings(os.environ)


# --- per-conversation values sent by the page ---------------------------------------------------


@dataclass(frozen=True)
class PageField:
    """A value a page may send as message metadata, and its rule.

    The server cleans it with `clean`; the chat page applies `pattern` (the regular expression
    `clean` matches it with) itself, from `page_field_rules()`, before it shows or sends it.
    """

    key: str
    clean: Cleaner
    pattern: str
    ignore_case: bool = False
    # Before matching: runs of whitespace become one space (ends are always trimmed).
    join_spaces: bool = False
    # After matching: in capitals.
    upper: bool = False


PAGE_FIELDS: Tuple[PageField, ...] = (
    PageField("clinic_name", clean_name, NAME_PATTERN, join_spaces=True),
    PageField("clinic_phone", clean_phone, PHONE_PATTERN),
    PageField("booking_url", clean_https_url, URL_PATTERN, ignore_case=True),
    PageField("region", clean_region, REGION_PATTERN, upper=True),
)
PAGE_KEYS = tuple(rule.key for rule in PAGE_FIELDS)


def javascript_pattern(pattern: str) -> str:
    r"""The pattern for JavaScript's RegExp with the `u` flag: `\w` there means ASCII only, so
    it is spelt out as Python means it, letters, digits and the underscore in any script."""
    return pattern.replace(r"\w", r"\p{L}\p{N}_")


def page_field_rules() -> Dict[str, Dict[str, Any]]:
    """The page-field rules for the chat page (bot/widget/static/chat.js), by metadata key."""
    return {
        rule.key: {
            "pattern": javascript_pattern(rule.pattern),
            "flags": "iu" if rule.ignore_case else "u",
            "join_spaces": rule.join_spaces,
            "upper": rule.upper,
        }
        for rule in PAGE_FIELDS
    }


@dataclass(frozen=True)
class PageSettings:
    """The valid subset of what a page sent as message metadata."""

    contact: ClinicContact = field(default_factory=ClinicContact)
    region: Optional[str] = None


def page_settings_from(metadata: Any) -> PageSettings:
    """Validates page metadata; invalid values are dropped with a logged warning."""
    if not isinstance(metadata, Mapping):
        return PageSettings()
    values = {
        rule.key: _accept("page", rule.key, metadata.get(rule.key), rule.clean)
        for rule in PAGE_FIELDS
    }
    return PageSettings(
        contact=ClinicContact(
            name=values["clinic_name"],
            phone=values["clinic_phone"],
            booking_url=values["booking_url"],
        ),
        region=values["region"],
    )


def effective_contact(settings: Settings, page: PageSettings) -> ClinicContact:
    """The page's valid values win field by field; the deployment fills the rest."""
    deployment = settings.contact
    return replace(
        deployment,
        name=page.contact.name or deployment.name,
        phone=page.contact.phone or deployment.phone,
        booking_url=page.contact.booking_url or deployment.booking_url,
    )
