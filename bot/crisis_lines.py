"""The crisis-line directory in `bot/crisis_lines.yml`: each region's lines and emergency numbers.

Content, not settings: the lines are the same for every deployment. A clinic adds its own line
with the settings (`crisis.line_*` in `clinic.yml`), which `bot.settings` reads as a `HelpLine`.
The file is checked when it is read, and a mistake in it stops the process with its location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import yaml

CRISIS_LINES_PATH = Path(__file__).with_name("crisis_lines.yml")


@dataclass(frozen=True)
class HelpLine:
    """A crisis line: who answers, how to reach them, and when.

    A line may take calls, texts or both, each on its own number. A text line may ask for a word
    to start the conversation ("text SHOUT to 85258"); a call line may ask for a key press to
    reach a service in another language ("call 988 and press 2"). `chat` is the address of the
    line's web chat, if it has one. `hours` is shown as given ("24/7"); None shows none, as for a
    clinic's line whose hours nobody stated. `language` is the language the line answers in
    ("en", "es"); None when nobody said (a clinic's own line), and then nothing is said of it.
    """

    name: str
    call: Optional[str] = None
    text: Optional[str] = None
    text_keyword: Optional[str] = None
    call_option: Optional[str] = None
    hours: Optional[str] = None
    chat: Optional[str] = None
    language: Optional[str] = None

    def named_by_number(self) -> bool:
        """True when the line's name is only its number ("50808"), so it need not be repeated."""
        digits = self.name.replace(" ", "")
        return digits in {(number or "").replace(" ", "") for number in (self.call, self.text)}


@dataclass(frozen=True)
class RegionCrisisLines:
    """What a region's crisis resources are: help lines and the emergency numbers."""

    region_name: str
    lines: Tuple[HelpLine, ...]
    # The first is the one shown where there is room for only one.
    emergency: Tuple[str, ...]
    # The region's name in Spanish, for a Spanish turn ("el Reino Unido").
    region_name_es: str = ""


@dataclass(frozen=True)
class CrisisDirectory:
    """Every region's lines, and the lines that answer in Spanish by region."""

    by_region: Dict[str, RegionCrisisLines]
    spanish_by_region: Dict[str, Tuple[HelpLine, ...]]


class CrisisLinesError(ValueError):
    """The directory file is malformed; the message says where."""


_REGION = re.compile(r"^[A-Z]{2}$")
# What each field of a line may hold: nothing Markdown or a tel:/sms: link would read otherwise.
_LINE_FIELDS = {
    "name": re.compile(r"^[\w .,'&/+?-]{1,80}$"),
    "call": re.compile(r"^[0-9][0-9 ]{0,19}$"),
    "text": re.compile(r"^[0-9][0-9 ]{0,19}$"),
    "text_keyword": re.compile(r"^[A-Za-z0-9]{1,20}$"),
    "call_option": re.compile(r"^[0-9]$"),
    "hours": re.compile(r"^[\w .,:'&/+-]{1,60}$"),
    # An https address with nothing Markdown reads: no parentheses, brackets or spaces.
    "chat": re.compile(r"^https://[A-Za-z0-9.-]{1,60}(/[A-Za-z0-9._~/-]{0,100})?$"),
    "language": re.compile(r"^[a-z]{2}$"),
}
# The language of a directory line nobody marked: the services listed answer in English.
DEFAULT_LANGUAGE = "en"
_EMERGENCY = re.compile(r"^[0-9]{2,4}$")
_REGION_KEYS = {"name", "name_es", "lines", "emergency", "spanish_lines"}


def _text(value: Any, pattern: re.Pattern, where: str) -> str:
    # Numbers must be quoted: YAML reads 000 as 0 and 116 123 only by luck as a string.
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise CrisisLinesError(f"{where}: must be a quoted string matching {pattern.pattern}")
    return value


def _line(data: Any, where: str, language: str = DEFAULT_LANGUAGE) -> HelpLine:
    if not isinstance(data, Mapping):
        raise CrisisLinesError(f"{where}: must be a mapping")
    unknown = set(data) - set(_LINE_FIELDS)
    if unknown:
        raise CrisisLinesError(f"{where}: unknown keys {sorted(unknown)}")
    if "name" not in data or not (data.get("call") or data.get("text")):
        raise CrisisLinesError(f"{where}: needs a name and a number to call or to text")
    fields = {
        key: _text(value, _LINE_FIELDS[key], f"{where}.{key}")
        for key, value in data.items()
        if value is not None
    }
    fields.setdefault("language", language)
    return HelpLine(**fields)


def _lines(data: Any, where: str, language: str = DEFAULT_LANGUAGE) -> Tuple[HelpLine, ...]:
    if not isinstance(data, list) or not data:
        raise CrisisLinesError(f"{where}: must be a non-empty list of lines")
    return tuple(_line(item, f"{where}[{index}]", language) for index, item in enumerate(data))


def directory_from(data: Any, source: str = "crisis lines") -> CrisisDirectory:
    """Builds the directory from the file's data, or raises `CrisisLinesError`."""
    if not isinstance(data, Mapping):
        raise CrisisLinesError(f"{source}: must be a mapping of region codes")
    by_region: Dict[str, RegionCrisisLines] = {}
    spanish: Dict[str, Tuple[HelpLine, ...]] = {}
    for region, entry in data.items():
        where = f"{source}: {region}"
        if not isinstance(region, str) or not _REGION.match(region):
            raise CrisisLinesError(f"{where}: a region is a two-letter code in capitals")
        if not isinstance(entry, Mapping):
            raise CrisisLinesError(f"{where}: must be a mapping")
        unknown = set(entry) - _REGION_KEYS
        if unknown:
            raise CrisisLinesError(f"{where}: unknown keys {sorted(unknown)}")
        emergency = entry.get("emergency")
        if not isinstance(emergency, list) or not emergency:
            raise CrisisLinesError(f"{where}.emergency: must be a non-empty list")
        by_region[region] = RegionCrisisLines(
            region_name=_text(entry.get("name"), _LINE_FIELDS["name"], f"{where}.name"),
            lines=_lines(entry.get("lines"), f"{where}.lines"),
            emergency=tuple(
                _text(number, _EMERGENCY, f"{where}.emergency[{index}]")
                for index, number in enumerate(emergency)
            ),
            region_name_es=(
                _text(entry["name_es"], _LINE_FIELDS["name"], f"{where}.name_es")
                if entry.get("name_es") is not None
                else ""
            ),
        )
        if entry.get("spanish_lines") is not None:
            lines = _lines(entry["spanish_lines"], f"{where}.spanish_lines", "es")
            if any(line.language != "es" for line in lines):
                raise CrisisLinesError(f"{where}.spanish_lines: a line here answers in Spanish")
            spanish[region] = lines
    return CrisisDirectory(by_region, spanish)


def load_directory(path: Path = CRISIS_LINES_PATH) -> CrisisDirectory:
    return directory_from(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)


_DIRECTORY = load_directory()
# Read once, when the module is first imported.
CRISIS_LINES_BY_REGION: Dict[str, RegionCrisisLines] = _DIRECTORY.by_region
SPANISH_LINES_BY_REGION: Dict[str, Tuple[HelpLine, ...]] = _DIRECTORY.spanish_by_region


def crisis_lines_for(region: str) -> Optional[RegionCrisisLines]:
    return CRISIS_LINES_BY_REGION.get(region.upper())


def spanish_lines_for(region: str) -> Tuple[HelpLine, ...]:
    """The region's lines that answer in Spanish; none for most regions."""
    return SPANISH_LINES_BY_REGION.get(region.upper(), ())
