"""The crisis-line directory (bot/crisis_lines.yml): what it holds, and a mistake in it stops."""

from __future__ import annotations

import re
from typing import Any, Dict

import pytest
import yaml

from bot.crisis_lines import (
    CRISIS_LINES_BY_REGION,
    CRISIS_LINES_PATH,
    CrisisLinesError,
    HelpLine,
    directory_from,
    spanish_lines_for,
)

from conftest import ROOT


def test_the_directory_holds_each_regions_lines_and_emergency_numbers() -> None:
    assert sorted(CRISIS_LINES_BY_REGION) == ["AU", "CA", "GB", "IE", "NZ", "US"]
    assert CRISIS_LINES_BY_REGION["GB"].lines == (
        HelpLine("Samaritans", call="116 123", hours="24/7", language="en"),
        HelpLine("Shout", text="85258", text_keyword="SHOUT", hours="24/7", language="en"),
    )
    assert CRISIS_LINES_BY_REGION["AU"].lines == (
        HelpLine("Lifeline", call="13 11 14", text="0477 13 11 14", hours="24/7", language="en"),
    )
    assert CRISIS_LINES_BY_REGION["US"].lines[0].chat == "https://988lifeline.org/chat"
    assert CRISIS_LINES_BY_REGION["IE"].emergency == ("112", "999")
    assert CRISIS_LINES_BY_REGION["AU"].emergency == ("000",)
    assert CRISIS_LINES_BY_REGION["GB"].region_name_es == "el Reino Unido"
    assert spanish_lines_for("us") == (
        HelpLine(
            "988 Lifeline en español",
            call="988",
            call_option="2",
            text="988",
            text_keyword="AYUDA",
            chat="https://988lifeline.org/es/chat",
            hours="24/7",
            language="es",
        ),
    )
    assert spanish_lines_for("GB") == ()


def test_the_readme_shows_every_line_of_the_directory() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Crisis lines", 1)[1]
    table = next(block for block in section.split("\n\n") if block.startswith("| region"))
    rows = [[cell.strip() for cell in row.strip("|").split("|")] for row in table.splitlines()[2:]]
    for region, regional in CRISIS_LINES_BY_REGION.items():
        shown = {(row[1], row[4]) for row in rows if row[0] == region}
        emergency = " or ".join(regional.emergency)
        assert shown == {(line.name, emergency) for line in regional.lines}, region


def entry(**line: Any) -> Dict[str, Any]:
    return {"XX": {"name": "Testland", "emergency": ["112"], "lines": [line]}}


@pytest.mark.parametrize(
    "data, where",
    [
        (entry(name="Line", call=988), "XX.lines[0].call"),  # unquoted: YAML reads a number
        (entry(name="**Line**", call="988"), "XX.lines[0].name"),
        (entry(name="Line", call="988", fax="1"), "unknown keys ['fax']"),
        (entry(name="Line", hours="24/7"), "XX.lines[0]: needs a name and a number"),
        (entry(name="Line", text="85258", text_keyword="[x](y)"), "XX.lines[0].text_keyword"),
        (entry(name="Line", call="988", chat="http://x.example/chat"), "XX.lines[0].chat"),
        (entry(name="Line", call="988", chat="https://x.example/(y)"), "XX.lines[0].chat"),
        (entry(name="Line", call="988", language="Spanish"), "XX.lines[0].language"),
        (
            {
                "XX": {
                    **entry(name="L", call="1")["XX"],
                    "spanish_lines": [{"name": "L", "call": "1", "language": "en"}],
                }
            },
            "XX.spanish_lines: a line here answers in Spanish",
        ),
        ({"xx": entry(name="L", call="1")["XX"]}, "xx: a region is a two-letter code"),
        ({"XX": {"name": "Testland", "emergency": [], "lines": []}}, "XX.emergency"),
        ({"XX": {"name": "Testland", "emergency": ["112"], "lines": []}}, "XX.lines"),
    ],
)
def test_a_mistake_in_the_file_names_where_it_is(data: Any, where: str) -> None:
    with pytest.raises(CrisisLinesError, match=re.escape(where)):
        directory_from(data, "crisis_lines.yml")


def test_a_line_named_by_its_number_knows_it() -> None:
    assert HelpLine("50808", text="50808").named_by_number()
    assert HelpLine("116 123", call="116123").named_by_number()
    assert not HelpLine("Samaritans", call="116 123").named_by_number()


def test_the_file_is_the_directory() -> None:
    data = yaml.safe_load(CRISIS_LINES_PATH.read_text(encoding="utf-8"))
    assert directory_from(data).by_region == CRISIS_LINES_BY_REGION
