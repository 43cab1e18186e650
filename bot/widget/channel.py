"""Serves the web widget from the Rasa server's own origin, at `/widget/...`.

Rasa mounts every input channel listed in `credentials.yml` at `/webhooks/<url_prefix>`; an
absolute prefix (`/widget`) replaces that path, so this channel's routes live at `/widget/...`
beside the REST channel the chat page talks to, on the same origin and without CORS. It handles
no messages itself.

- `GET /widget/embed.js`: the loader a clinic pastes into its pages.
- `GET /widget/chat`: the page the loader frames, under a strict Content-Security-Policy whose
  `frame-ancestors` are the origins in the settings (`widget.frame_ancestors`).
- `GET /widget/chat.js`, `/widget/chat.css`: the chat page's code and styles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Awaitable, Callable, Dict, Text

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.crisis_lines import CRISIS_LINES_BY_REGION
from bot.settings import PROJECT_ROOT, Settings, load_settings, page_field_rules
from bot.turns import (
    NOTICE,
    UNAVAILABLE_LINES_LEAD,
    TurnContext,
    compose_turn,
    crisis_reminder,
    crisis_resources,
)

STATIC = Path(__file__).resolve().parent / "static"
WEBHOOK_PATH = "/webhooks/rest/webhook"
# Any region without built-in lines: the US lines and "your local emergency number".
OTHER_REGION = "ZZ"

JS = "application/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"
# Versioned assets never change under their URL; the loader's URL is fixed, so it is rechecked.
IMMUTABLE = "public, max-age=31536000, immutable"
LOADER_CACHE = "public, max-age=300"
PAGE_CACHE = "no-cache"

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    version: str


@lru_cache(maxsize=None)
def asset(name: str) -> Asset:
    body = (STATIC / name).read_bytes()
    return Asset(body, hashlib.sha256(body).hexdigest()[:16])


def frame_ancestors(settings: Settings) -> list:
    """The exact origins allowed to frame the chat page: the clinic's, plus the demo page's."""
    origins = list(settings.widget_frame_ancestors)
    if settings.widget_demo_origin and settings.widget_demo_origin not in origins:
        origins.append(settings.widget_demo_origin)
    return origins


def chat_page_csp(settings: Settings) -> str:
    ancestors = " ".join(frame_ancestors(settings)) or "'none'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


@lru_cache(maxsize=1)
def _greeting_text() -> str:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"]["utter_greet"][0]["text"]).strip()


def widget_config(settings: Settings) -> Dict[str, Any]:
    """What the chat page knows before it talks to the server: greeting, menu, crisis lines,
    and the rules for the settings a page passes it (the server's own, `PAGE_FIELDS`)."""

    def greeting_in(region: str) -> Dict[str, Any]:
        context = TurnContext(settings, settings.contact, region)
        return compose_turn("utter_greet", {"text": _greeting_text()}, context)

    greeting = greeting_in(settings.crisis_region)
    regions = {
        region: crisis_resources(region, settings.crisis_line) for region in CRISIS_LINES_BY_REGION
    }
    regions[OTHER_REGION] = crisis_resources(OTHER_REGION, settings.crisis_line)
    # The short form, shown beside the error when a message cannot be sent: nobody read it.
    short = {
        region: crisis_reminder(region, settings.crisis_line, UNAVAILABLE_LINES_LEAD)
        for region in regions
    }
    # The greeting names the region's lines, and a page may name another region than the
    # deployment's: the chat page picks the one for its region.
    by_region = {region: greeting_in(region)["text"] for region in regions}
    return {
        "webhook": WEBHOOK_PATH,
        "notice": NOTICE,
        "greeting": {
            "text": greeting["text"],
            "by_region": by_region,
            "buttons": greeting["buttons"],
        },
        "region": settings.crisis_region,
        "known_regions": sorted(CRISIS_LINES_BY_REGION),
        "other_region": OTHER_REGION,
        "crisis": regions,
        "crisis_short": short,
        "host_origins": frame_ancestors(settings),
        "max_message_chars": settings.max_message_chars,
        "page_fields": page_field_rules(),
    }


def json_for_html(data: Any) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _respond(body: bytes, content_type: str, cache: str, **extra: str) -> HTTPResponse:
    headers = {**COMMON_HEADERS, "Cache-Control": cache, **extra}
    return HTTPResponse(body=body, status=200, headers=headers, content_type=content_type)


def _versioned(request: Request, name: str, content_type: str) -> HTTPResponse:
    item = asset(name)
    cache = IMMUTABLE if request.args.get("v") == item.version else PAGE_CACHE
    return _respond(item.body, content_type, cache)


def _not_found() -> HTTPResponse:
    return HTTPResponse(
        body=b"Not found", status=404, headers=COMMON_HEADERS, content_type="text/plain"
    )


def render_chat_page(settings: Settings) -> bytes:
    template = Template(asset("chat.html").body.decode("utf-8"))
    return template.substitute(
        config=json_for_html(widget_config(settings)),
        css_version=asset("chat.css").version,
        js_version=asset("chat.js").version,
    ).encode("utf-8")


class WidgetChannel(InputChannel):
    """Serves the widget's files; messages go through the REST channel."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    def url_prefix(self) -> Text:
        # Absolute, so Rasa's urljoin("/webhooks/", ...) mounts it at /widget, not under /webhooks.
        return "/widget"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("clinic_widget", __name__)

        @widget.route("/embed.js", methods=["GET"])
        async def loader(request: Request) -> HTTPResponse:
            # Clinic pages on other origins load it with a plain <script> tag.
            return _respond(
                asset("embed.js").body,
                JS,
                LOADER_CACHE,
                **{"Cross-Origin-Resource-Policy": "cross-origin"},
            )

        @widget.route("/chat", methods=["GET"])
        async def chat(request: Request) -> HTTPResponse:
            settings = load_settings()
            return _respond(
                render_chat_page(settings),
                HTML,
                PAGE_CACHE,
                **{"Content-Security-Policy": chat_page_csp(settings)},
            )

        @widget.route("/chat.js", methods=["GET"])
        async def chat_script(request: Request) -> HTTPResponse:
            return _versioned(request, "chat.js", JS)

        @widget.route("/chat.css", methods=["GET"])
        async def chat_styles(request: Request) -> HTTPResponse:
            return _versioned(request, "chat.css", CSS)

        return widget
