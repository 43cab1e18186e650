"""The widget's serving side: origins, headers, the page's embedded config, and its size."""

from __future__ import annotations

import gzip
import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any, Dict

import pytest

from bot.crisis_lines import CRISIS_LINES_BY_REGION
from bot.settings import Settings, clean_origin, settings_from
from bot.turns import NOTICE
from bot.widget.channel import (
    STATIC,
    asset,
    chat_page_csp,
    frame_ancestors,
    json_for_html,
    widget_config,
)

LOADER_LIMIT_BYTES = 6 * 1024
WIDGET_LIMIT_BYTES = 40 * 1024


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://clinic.example", "https://clinic.example"),
        ("HTTPS://Intake.Clinic.Example:8443", "https://intake.clinic.example:8443"),
        ("http://localhost:5006", "http://localhost:5006"),
        ("http://127.0.0.1", "http://127.0.0.1"),
        ("*", None),
        ("https://*.clinic.example", None),
        ("http://clinic.example", None),
        ("https://clinic.example/", None),
        ("https://clinic.example/intake", None),
        ("https://clinic.example:0", None),
        ("https://clinic.example:65536", None),
        ("https://user@clinic.example", None),
        ("javascript:alert(1)", None),
        ("'self'", None),
        ("https://clinic.example https://evil.example", None),
    ],
)
def test_frame_ancestors_are_exact_origins(value: str, expected: Any) -> None:
    assert clean_origin(value)[0] == expected


def test_the_environment_overrides_the_listed_origins_and_drops_bad_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    file = {"widget": {"frame_ancestors": ["https://old.example"]}}
    with caplog.at_level(logging.WARNING):
        settings = settings_from(
            file, {"WIDGET_FRAME_ANCESTORS": "https://a.example, * https://b.example:8443"}
        )
    assert settings.widget_frame_ancestors == ("https://a.example", "https://b.example:8443")
    assert "widget.frame_ancestors[1]" in caplog.text and "'*'" not in caplog.text


def test_the_policy_lists_exactly_the_allowed_origins() -> None:
    settings = Settings(
        widget_frame_ancestors=("https://clinic.example",),
        widget_demo_origin="http://localhost:5006",
    )
    assert frame_ancestors(settings) == ["https://clinic.example", "http://localhost:5006"]
    policy = dict(part.strip().split(" ", 1) for part in chat_page_csp(settings).split(";"))
    assert policy["frame-ancestors"] == "https://clinic.example http://localhost:5006"
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert "*" not in chat_page_csp(settings) and "unsafe" not in chat_page_csp(settings)


def test_with_no_origins_configured_no_page_may_frame_the_chat() -> None:
    assert chat_page_csp(Settings()).endswith("frame-ancestors 'none'")


def test_the_embedded_config_cannot_end_its_script_element() -> None:
    embedded = json_for_html({"text": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded) == {"text": "</script><script>alert(1)</script> & <!--"}


def test_the_config_carries_the_greeting_menu_and_crisis_lines_for_every_region() -> None:
    config = widget_config(Settings(crisis_region="GB"))
    assert config["region"] == "GB" and config["notice"] == NOTICE
    assert "can't diagnose" in config["greeting"]["text"]
    assert config["greeting"]["text"].endswith(f"_{NOTICE}_")
    assert len(config["greeting"]["buttons"]) == 6
    assert "(tel:988)" in config["crisis"]["US"] and "(sms:988)" in config["crisis"]["US"]
    assert "(tel:911)" in config["crisis"]["US"]
    assert "116 123" in config["crisis"]["GB"] and "(sms:85258)" in config["crisis"]["GB"]
    # Any other region still gets the US lines and "your local emergency number".
    other = config["crisis"][config["other_region"]]
    assert "988" in other and "local emergency number" in other


def test_the_greeting_names_the_pages_regions_line() -> None:
    config = widget_config(Settings(crisis_region="GB"))
    by_region = config["greeting"]["by_region"]
    assert set(by_region) == set(config["crisis"])
    assert "**116 123**" in config["greeting"]["text"] and "988" not in config["greeting"]["text"]
    assert "**988**" in by_region["US"] and "**13 11 14**" in by_region["AU"]
    assert "local emergency number" in by_region[config["other_region"]]
    assert all(text.endswith(f"_{NOTICE}_") for text in by_region.values())


def test_the_loader_and_the_whole_widget_are_small_when_gzipped() -> None:
    loader = len(gzip.compress(asset("embed.js").body, 9))
    whole = sum(
        len(gzip.compress((STATIC / name).read_bytes(), 9))
        for name in ("embed.js", "chat.js", "chat.css", "chat.html")
    )
    print(f"\ngzipped: loader {loader} B, whole widget (JS, CSS, page) {whole} B")
    assert loader <= LOADER_LIMIT_BYTES
    assert whole <= WIDGET_LIMIT_BYTES


def test_the_loaders_built_in_crisis_lines_are_the_servers() -> None:
    # The loader shows them when the chat page cannot load, so it has its own copy.
    found = re.search(r"var LINES = (\{.*?\});", asset("embed.js").body.decode(), re.DOTALL)
    assert found, "no LINES table in embed.js"
    expected = {}
    for region, regional in CRISIS_LINES_BY_REGION.items():
        lines = []
        for line in regional.lines:
            # A field the copy has no place for would be lost offline.
            assert line.call_option is None, f"{region}: the loader has no key-press field"
            fields = [line.name, line.call, line.text, line.text_keyword, line.hours, line.chat]
            lines.append([field or "" for field in fields])
        expected[region] = [regional.region_name, list(regional.emergency), lines]
    assert json.loads(found.group(1)) == expected
    assert any(len(regional.lines) > 1 for regional in CRISIS_LINES_BY_REGION.values())


def test_no_untrusted_text_goes_through_inner_html() -> None:
    for name in ("embed.js", "chat.js"):
        code = (STATIC / name).read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", code)


def fetch(url: str) -> urllib.request.addinfourl:
    return urllib.request.urlopen(url, timeout=10)


@pytest.mark.servers
def test_the_files_have_their_types_caching_and_security_headers(servers: Dict[str, Any]) -> None:
    base = f"http://localhost:{servers['rasa_port']}/widget"
    with fetch(f"{base}/embed.js") as loader:
        assert loader.headers["Content-Type"] == "application/javascript; charset=utf-8"
        assert loader.headers["Cache-Control"] == "public, max-age=300"
        assert loader.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert loader.headers["X-Content-Type-Options"] == "nosniff"
    with fetch(f"{base}/chat") as chat:
        page = chat.read().decode()
        assert chat.headers["Content-Type"] == "text/html; charset=utf-8"
        assert chat.headers["Referrer-Policy"] == "no-referrer"
        assert chat.headers["Cache-Control"] == "no-cache"
        policy = chat.headers["Content-Security-Policy"]
        assert policy.endswith(f"frame-ancestors {servers['demo_origin']}")
    script = re.search(r'src="/widget/chat\.js\?v=([0-9a-f]+)"', page)
    styles = re.search(r'href="/widget/chat\.css\?v=([0-9a-f]+)"', page)
    assert script and styles
    with fetch(f"{base}/chat.js?v={script.group(1)}") as versioned:
        assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert versioned.read() == asset("chat.js").body
    with fetch(f"{base}/chat.css?v={styles.group(1)}") as css:
        assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    with fetch(f"{base}/chat.js?v=stale") as stale:
        assert stale.headers["Cache-Control"] == "no-cache"


@pytest.mark.servers
def test_the_demo_page_embeds_the_snippet_from_the_assistants_origin(
    servers: Dict[str, Any],
) -> None:
    widget_origin = f"http://localhost:{servers['rasa_port']}"
    with fetch(f"{servers['demo_origin']}/") as demo:
        page = demo.read().decode()
        assert f"script-src {widget_origin};" in demo.headers["Content-Security-Policy"]
    assert f'<script src="{widget_origin}/widget/embed.js" async' in page
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(f"{servers['demo_origin']}/anything-else")
    assert missing.value.code == 404


@pytest.mark.servers
def test_the_rest_channel_still_answers_at_its_usual_url(servers: Dict[str, Any]) -> None:
    reply = servers["assistant"].send("widget-server-test", "/faq/bdnf")
    assert any(message.get("custom", {}).get("topic") == "bdnf" for message in reply)
