"""The widget loader's built-in crisis lines (embed.js `LINES`) are bot/crisis_lines.yml's, and its
offline panel never shows a US number as if it were everyone's."""

from __future__ import annotations

import json
import re
from typing import Any, Dict

from bot.crisis_lines import CRISIS_LINES_BY_REGION

from conftest import ROOT

EMBED = ROOT / "bot" / "widget" / "static" / "embed.js"


def loader_lines() -> Dict[str, Any]:
    found = re.search(r"var LINES = (\{.*?\});", EMBED.read_text(encoding="utf-8"), re.DOTALL)
    assert found, "no LINES table in embed.js"
    return dict(json.loads(found.group(1)))


def test_the_loaders_lines_are_the_directorys_for_every_region() -> None:
    expected = {}
    for region, regional in CRISIS_LINES_BY_REGION.items():
        lines = []
        for line in regional.lines:
            # A field the copy has no place for would be lost offline.
            assert line.call_option is None, f"{region}: the loader has no key-press field"
            fields = [line.name, line.call, line.text, line.text_keyword, line.hours, line.chat]
            lines.append([field or "" for field in fields])
        expected[region] = [regional.region_name, list(regional.emergency), lines]
    assert loader_lines() == expected


def test_the_loader_has_australias_text_line_and_988s_chat() -> None:
    lines = loader_lines()
    assert ["Lifeline", "13 11 14", "0477 13 11 14", "", "24/7", ""] in lines["AU"][2]
    assert lines["US"][2][0][5] == "https://988lifeline.org/chat"


def test_the_offline_panel_labels_every_line_with_its_region() -> None:
    source = EMBED.read_text(encoding="utf-8")
    panel = source.split("function buildFallback", 1)[1]
    # The old unlabelled "In an emergency" line, whatever the page's region, is gone.
    assert 'line("In an emergency"' not in panel
    assert '"In the US"' in panel and '"In " + lines[0]' in panel
    assert "local emergency number" in panel and "https://findahelpline.com" in source
