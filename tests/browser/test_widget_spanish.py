"""The widget's own words in Spanish (issue 20), in a real browser (Debian's Chromium, Playwright).

No Rasa server is needed: the chat page, its script and the loader are served from this checkout
by a small static server, and nothing is sent. The bot's turns are the server's, tested elsewhere.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect, sync_playwright

from bot.settings import Settings
from bot.widget.channel import asset, render_chat_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FRAME = 'iframe[title="The clinic\'s automated information assistant"]'
LAUNCHER = "Ask our information assistant"


def host_page(lang: str, attributes: str = "") -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><title>t</title>'
        f'<script src="/widget/embed.js" async {attributes}></script></html>'
    ).encode()


PAGES: Dict[str, Any] = {
    "/widget/chat": lambda: (render_chat_page(Settings()), "text/html; charset=utf-8"),
    "/widget/chat.js": lambda: (asset("chat.js").body, "text/javascript; charset=utf-8"),
    "/widget/chat.css": lambda: (asset("chat.css").body, "text/css; charset=utf-8"),
    "/widget/embed.js": lambda: (asset("embed.js").body, "text/javascript; charset=utf-8"),
    "/snippet-es": lambda: (host_page("en", 'data-lang="es"'), "text/html; charset=utf-8"),
    "/page-es": lambda: (host_page("es-MX"), "text/html; charset=utf-8"),
    "/snippet-en": lambda: (host_page("es", 'data-lang="en"'), "text/html; charset=utf-8"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        page = PAGES.get(self.path.split("?", 1)[0])
        if page is None:
            self.send_error(404)
            return
        body, content_type = page()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def chat_page(browser: Browser, url: str, locale: str) -> Page:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(url)
    return page


def expect_spanish(chat: Any) -> None:
    expect(chat.get_by_role("button", name="Enviar")).to_be_visible()
    expect(chat.get_by_label("Tu pregunta")).to_have_attribute(
        "placeholder", "Escribe tu pregunta…"
    )
    expect(chat.get_by_role("button", name="Ayuda en crisis")).to_be_visible()
    expect(chat.get_by_role("button", name="Borrar el chat")).to_be_visible()
    expect(chat.get_by_role("button", name="Cerrar el chat")).to_be_visible()
    expect(chat.locator("#title")).to_have_text("Preguntas sobre depresión y ketamina")


def expect_english(chat: Any) -> None:
    expect(chat.get_by_role("button", name="Send")).to_be_visible()
    expect(chat.get_by_label("Your question")).to_have_attribute("placeholder", "Ask a question…")
    expect(chat.get_by_role("button", name="Crisis help")).to_be_visible()
    expect(chat.locator("#title")).to_have_text("Depression & ketamine questions")


def test_the_chat_page_speaks_spanish_when_asked_or_when_the_browser_does(
    browser: Browser, origin: str
) -> None:
    asked = chat_page(browser, f"{origin}/widget/chat#lang=es", "en-US")
    expect_spanish(asked)
    expect(asked.locator("html")).to_have_attribute("lang", "es")
    by_browser = chat_page(browser, f"{origin}/widget/chat", "es-MX")
    expect_spanish(by_browser)
    english = chat_page(browser, f"{origin}/widget/chat", "en-US")
    expect_english(english)
    expect(english.locator("html")).to_have_attribute("lang", "en")
    # The snippet's own choice wins over the browser's language.
    expect_english(chat_page(browser, f"{origin}/widget/chat#lang=en", "es-ES"))


def open_chat(page: Page) -> FrameLocator:
    page.get_by_role("button", name=LAUNCHER).click()
    return page.frame_locator(FRAME)


@pytest.mark.parametrize(
    ("path", "locale", "spanish"),
    [
        ("/snippet-es", "en-US", True),  # data-lang="es" on an English page
        ("/page-es", "en-US", True),  # the host page's lang is Spanish
        ("/snippet-en", "es-MX", False),  # data-lang="en" wins over the page and the browser
    ],
)
def test_the_snippets_data_lang_or_the_pages_lang_reaches_the_chat(
    browser: Browser, origin: str, path: str, locale: str, spanish: bool
) -> None:
    chat = open_chat(chat_page(browser, f"{origin}{path}", locale))
    if spanish:
        expect_spanish(chat)
    else:
        expect_english(chat)
