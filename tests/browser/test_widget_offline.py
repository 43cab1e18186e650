"""The widget when the assistant cannot be reached, in a real browser (Debian's Chromium driven
by Playwright), with no Rasa server: every request is answered by the test itself, so the
clinic's page, the loader and the chat page are the real files and the assistant is "down".
"""

from __future__ import annotations

from typing import Iterator, List

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from bot.settings import Settings
from bot.widget.channel import asset, chat_page_csp, render_chat_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CLINIC = "http://clinic.test"
ASSISTANT = "http://assistant.test"
LAUNCHER = "Ask our information assistant"
FALLBACK = "The chat is unavailable right now"
FRAME = 'iframe[title="The clinic\'s automated information assistant"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()


def clinic_page(page: Page, attributes: str, chat_up: bool) -> None:
    """The clinic's page with the snippet; the assistant serves its files, but its chat page
    only when `chat_up`, and never answers a message."""
    settings = Settings(widget_frame_ancestors=(CLINIC,))
    html = (
        '<!doctype html><html lang="en"><title>Intake</title><main><h1>Intake</h1></main>'
        f'<script src="{ASSISTANT}/widget/embed.js" async {attributes}></script></html>'
    )

    def clinic(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html")

    def assistant(route: Route) -> None:
        path = route.request.url[len(ASSISTANT) :].split("?")[0].split("#")[0]
        if path == "/widget/embed.js":
            route.fulfill(body=asset("embed.js").body, content_type="application/javascript")
        elif path == "/widget/chat" and chat_up:
            route.fulfill(
                body=render_chat_page(settings),
                content_type="text/html",
                headers={"Content-Security-Policy": chat_page_csp(settings)},
            )
        elif path in ("/widget/chat.js", "/widget/chat.css") and chat_up:
            kind = "application/javascript" if path.endswith(".js") else "text/css"
            route.fulfill(body=asset(path.rsplit("/", 1)[1]).body, content_type=kind)
        else:
            route.abort("connectionrefused")  # the server is down

    page.context.route(f"{CLINIC}/**", clinic)
    page.context.route(f"{ASSISTANT}/**", assistant)
    page.goto(f"{CLINIC}/intake")


def offline_panel(page: Page, attributes: str = ""):  # type: ignore[no-untyped-def]
    clinic_page(page, attributes, chat_up=False)
    page.get_by_role("button", name=LAUNCHER).click()
    fallback = page.get_by_role("region", name=FALLBACK)
    expect(fallback).to_be_visible()
    return fallback


def items(fallback) -> List[str]:  # type: ignore[no-untyped-def]
    return [" ".join(text.split()) for text in fallback.locator("li").all_inner_texts()]


@pytest.mark.parametrize("attributes", ["", 'data-region="FR"'])
def test_with_no_known_region_the_offline_panel_shows_no_us_number_as_universal(
    page: Page, attributes: str
) -> None:
    fallback = offline_panel(page, attributes)
    shown = items(fallback)
    assert shown[0] == "In an emergency, call your local emergency number."
    directory = fallback.get_by_role("link", name="findahelpline.com")
    expect(directory).to_have_attribute("href", "https://findahelpline.com")
    # The US lines only under "In the US", never as the emergency number for everyone.
    us = [item for item in shown if "988" in item or "911" in item]
    assert us and all(item.startswith("In the US") for item in us), shown
    assert "In the US, in an emergency: Call 911" in shown
    expect(fallback.locator("a[href='https://988lifeline.org/chat']")).to_be_visible()


def test_with_a_known_region_the_offline_panel_names_it_on_each_line(page: Page) -> None:
    fallback = offline_panel(page, 'data-region="AU"')
    shown = items(fallback)
    assert any(item.startswith("In Australia: Lifeline (24/7)") for item in shown), shown
    lifeline = fallback.locator("li").filter(has_text="Lifeline")
    expect(lifeline.get_by_role("link", name="Call 13 11 14")).to_be_visible()
    expect(lifeline.get_by_role("link", name="Text 0477 13 11 14")).to_be_visible()
    assert "In Australia, in an emergency: Call 000" in shown
    assert "Outside Australia: call your local emergency number" in shown
    expect(fallback.locator("a[href='sms:0477131114']")).to_be_visible()
    assert all(item.startswith(("In ", "Outside ")) for item in shown), shown


def test_the_launcher_and_the_chat_say_it_is_an_automated_assistant(page: Page) -> None:
    clinic_page(page, 'data-region="GB"', chat_up=True)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_text(LAUNCHER)
    launcher.click()
    chat = page.frame_locator(FRAME)
    expect(chat.locator("#subtitle")).to_have_text(
        "Automated assistant · no one at the clinic reads this chat"
    )


def test_a_message_that_cannot_be_sent_shows_the_regions_lines_beside_the_error(
    page: Page,
) -> None:
    clinic_page(page, 'data-region="GB"', chat_up=True)
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator(FRAME)
    chat.get_by_label("Your question").fill("Is ketamine safe?")
    chat.get_by_label("Your question").press("Enter")
    status = chat.locator("#status")
    expect(status).to_contain_text("Couldn't reach the assistant")
    expect(status).to_contain_text("If you or someone else may be in danger")
    for href in ("tel:116123", "sms:85258", "tel:999"):
        expect(status.locator(f"a[href='{href}']")).to_be_visible()
    expect(status.get_by_role("button", name="Retry")).to_be_visible()
    # The crisis panel stays closed: nobody had to look for it.
    expect(chat.locator("#crisis")).to_be_hidden()


def test_a_lines_chat_link_sits_in_its_row_with_the_call_and_text_links(page: Page) -> None:
    clinic_page(page, 'data-region="US"', chat_up=True)
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator(FRAME)
    chat.get_by_role("button", name="Crisis help").click()
    lifeline = chat.locator("#crisis-body li").filter(has_text="Suicide & Crisis Lifeline")
    row = lifeline.locator(".actions")
    expect(row.locator("a")).to_have_count(3)
    expect(row.get_by_role("link", name="chat online")).to_have_attribute(
        "href", "https://988lifeline.org/chat"
    )
    expect(row.locator("a[href='tel:988']")).to_be_visible()
