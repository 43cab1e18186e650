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
        HelpLine("Samaritans", call="116 123", hours="24/7"),
        HelpLine("Shout", text="85258", text_keyword="SHOUT", hours="24/7"),
    )
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
            hours="24/7",
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
        ({"xx": entry(name="L", call="1")["XX"]}, "xx: a region is a two-letter code"),
        ({"XX": {"name": "Testland", "emergency": [], "lines": []}}, "XX.emergency"),
        ({"XX": {"name": "Testland", "emergency": ["112"], "lines": []}}, "XX.lines"),
    ],
)
def test_a_mistake_in_the_file_names_where_it_is(data: Any, where: str) -> None:
    with pytest.raises(CrisisLinesError, match=re.escape(where)):
        directory_from(data, "crisis_lines.yml")


def test_the_file_is_the_directory() -> None:
    data = yaml.safe_load(CRISIS_LINES_PATH.read_text(encoding="utf-8"))
    assert directory_from(data).by_region == CRISIS_LINES_BY_REGION
