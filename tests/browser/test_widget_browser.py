"""The web widget in a real browser (Debian's Chromium driven by Playwright) on the demo page.

Screenshots of the main states go to results/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Frame,
    FrameLocator,
    Page,
    Route,
    expect,
    sync_playwright,
)

from bot.launcher import demo_answers_env, start_rasa_server, wait_until_ready
from bot.settings import PAGE_FIELDS, page_field_rules
from bot.widget.channel import asset

from conftest import ROOT

pytestmark = pytest.mark.servers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "results" / "screenshots"
FRAME = 'iframe[title="The clinic\'s automated information assistant"]'
LAUNCHER = "Ask our information assistant"
ANSWER_TIMEOUT_MS = 45_000
NOTICE = "This is general information, not medical advice."
CONVERSATION_ID = "JSON.parse(sessionStorage.getItem('mindwork-widget:v1')).id"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport={"width": 1280, "height": 800})
    created.set_default_timeout(20_000)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    dialogs: List[str] = []  # an injected alert() would open one
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    assert dialogs == []


@pytest.fixture
def demo_url(servers: Dict[str, Any]) -> str:
    return f"{servers['demo_origin']}/"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_widget(page: Page) -> FrameLocator:
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator(FRAME)
    expect(chat.get_by_label("Your question")).to_be_focused(timeout=20_000)
    return chat


def chat_frame(page: Page) -> Frame:
    frames = [frame for frame in page.frames if frame.url.split("#")[0].endswith("/widget/chat")]
    assert len(frames) == 1
    return frames[0]


def ask(chat: FrameLocator, question: str) -> None:
    before = chat.locator(".turn.bot").count()
    box = chat.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(chat.locator(".turn.bot")).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)


def last_bot_turn(chat: FrameLocator):
    return chat.locator(".turn.bot").last


def test_a_question_gets_its_answer_follow_ups_and_the_notice(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    greeting = chat.locator(".turn.bot").first
    expect(greeting).to_contain_text("can't diagnose")
    expect(greeting.get_by_role("button")).to_have_count(6)  # the topic menu
    shot(page, "01-open-greeting")

    ask(chat, "what is bdnf?")
    answer = last_bot_turn(chat)
    expect(answer).to_have_attribute("data-kind", "answer")
    expect(answer).to_contain_text("Brain-Derived Neurotrophic Factor")
    expect(answer).to_contain_text("Bright Path Clinic")  # the snippet's data-clinic-name
    expect(answer.locator("a[href='tel:+15550100199']")).to_be_visible()
    expect(answer.locator(".notice")).to_have_text(NOTICE)
    # The notice is the footer only, not repeated in the text above it.
    assert answer.locator(".bubble").inner_text().count(NOTICE) == 1
    follow_ups = answer.get_by_role("group", name="Suggested questions").get_by_role("button")
    assert 2 <= follow_ups.count() <= 4
    expect(chat.locator("#announcer")).to_contain_text("Brain-Derived Neurotrophic Factor")
    shot(page, "02-answer")

    follow_ups.first.click()
    expect(chat.locator(".turn.bot")).to_have_count(3, timeout=ANSWER_TIMEOUT_MS)
    expect(last_bot_turn(chat)).to_have_attribute("data-kind", "answer")
    expect(last_bot_turn(chat).locator(".notice")).to_have_text(NOTICE)


def test_the_demo_clinic_answers_its_intake_questions_in_its_own_words(
    page: Page, demo_url: str
) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "how much does ketamine therapy cost?")
    answer = last_bot_turn(chat)
    expect(answer).to_have_attribute("data-kind", "clinic_answer")
    expect(answer).to_contain_text("Here is what Bright Path Clinic says about cost and payment")
    expect(answer).to_contain_text("A ketamine infusion is $450")  # bot/widget/demo_clinic.yml
    expect(answer.locator("a[href='https://bright-path.example/fees']")).to_be_visible()
    expect(answer.locator("a[href='https://bright-path.example/book']")).to_be_visible()
    expect(answer.locator(".notice")).to_have_text(NOTICE)
    shot(page, "14-clinic-answer")

    ask(chat, "how can I contact you?")
    contact = last_bot_turn(chat)
    expect(contact).to_have_attribute("data-kind", "clinic_answer")
    # The clinic's mailto: link is kept, like its tel: and https: links.
    expect(contact.locator("a[href='mailto:hello@bright-path.example']")).to_be_visible()
    expect(contact.locator(".notice")).to_have_text(NOTICE)


def test_the_whole_flow_works_by_keyboard_alone(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    page.get_by_role("button", name=LAUNCHER).wait_for()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "MINDWORK-WIDGET":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    chat = page.frame_locator(FRAME)
    expect(chat.get_by_label("Your question")).to_be_focused()
    page.keyboard.type("how does ketamine work?")
    page.keyboard.press("Enter")
    expect(chat.locator(".turn.bot")).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(chat.get_by_label("Your question")).to_be_focused()

    page.keyboard.press("Shift+Tab")  # back from the box to the last follow-up button
    focused_follow_up = last_bot_turn(chat).locator(".buttons button:focus")
    expect(focused_follow_up).to_have_count(1)
    shot(page, "03-keyboard-focus-on-follow-up")
    page.keyboard.press("Enter")
    expect(chat.locator(".turn.bot")).to_have_count(3, timeout=ANSWER_TIMEOUT_MS)

    page.keyboard.press("Escape")
    expect(page.locator(FRAME)).to_be_hidden()
    focused = page.evaluate(
        "() => { const host = document.activeElement;"
        " return host.tagName + '/' + host.shadowRoot.activeElement.textContent; }"
    )
    assert focused == f"MINDWORK-WIDGET/{LAUNCHER}"
    assert page.get_by_role("button", name=LAUNCHER).get_attribute("aria-expanded") == "false"


def test_a_crisis_turn_stands_out_with_call_and_text_links(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "i want to kill myself")
    crisis = last_bot_turn(chat)
    expect(crisis).to_have_class(re.compile(r"\bcrisis\b"))
    for href in ("tel:988", "sms:988", "tel:911"):
        expect(crisis.locator(f"a[href='{href}']")).to_be_visible()
    expect(crisis.locator(".notice")).to_have_text(NOTICE)
    crisis_border = crisis.locator(".bubble").evaluate("e => getComputedStyle(e).borderTopColor")
    answer_border = (
        chat.locator(".turn.bot")
        .first.locator(".bubble")
        .evaluate("e => getComputedStyle(e).borderTopColor")
    )
    assert crisis_border != answer_border
    shot(page, "04-crisis-turn")


def test_the_conversation_survives_navigation_and_clears_with_one_control(
    page: Page, demo_url: str
) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "what is neuroplasticity?")
    conversation_id = chat_frame(page).evaluate(CONVERSATION_ID)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", conversation_id
    )

    page.reload()
    chat = page.frame_locator(FRAME)
    expect(chat.locator(".turn.user")).to_have_text(["You said: what is neuroplasticity?"])
    expect(chat.locator(".turn.bot")).to_have_count(2)
    # The intake form's next page; the open chat covers the button, as it may for a visitor.
    page.get_by_role("button", name="Continue to step 2").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("step 2 of 2"))
    chat = page.frame_locator(FRAME)
    expect(chat.locator(".turn.user")).to_have_count(1)
    shot(page, "05-after-navigation")

    chat.get_by_role("button", name="Clear chat").click()
    expect(chat.locator(".turn.user")).to_have_count(0)
    expect(chat.locator(".turn.bot")).to_have_count(1)  # the greeting again
    new_id = chat_frame(page).evaluate(CONVERSATION_ID)
    assert new_id != conversation_id


def test_on_a_phone_the_chat_fills_the_screen(browser: Browser, demo_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.goto(demo_url)
        chat = open_widget(page)
        ask(chat, "what is depression?")
        box = page.locator(FRAME).bounding_box()
        assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
        expect(chat.get_by_role("button", name="Crisis help")).to_be_in_viewport()
        expect(chat.get_by_role("button", name="Send")).to_be_in_viewport()
        shot(page, "06-mobile")
    finally:
        context.close()


def serious_violations(results: Any) -> List[str]:
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violations(page: Page, demo_url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "what is bdnf?")
    ask(chat, "i want to kill myself")
    chat.get_by_role("button", name="Crisis help").click()
    expect(chat.locator("#crisis")).to_be_visible()
    assert serious_violations(axe.run(chat_frame(page))) == []
    assert serious_violations(axe.run(page)) == []


def test_the_crisis_help_works_without_the_server(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    page.context.route("**/webhooks/**", lambda route: route.abort("connectionrefused"))
    page.context.route("**/widget/**", lambda route: route.abort("connectionrefused"))
    chat.get_by_role("button", name="Crisis help").click()
    panel = chat.locator("#crisis")
    expect(panel).to_be_visible()
    for href in ("tel:988", "sms:988", "tel:911"):
        expect(panel.locator(f"a[href='{href}']")).to_be_visible()
    expect(panel.locator("a").first).to_be_focused()
    shot(page, "07-crisis-help-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chat.get_by_role("button", name="Crisis help")).to_be_focused()


XSS = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def test_what_a_visitor_types_is_shown_as_text(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, XSS)
    expect(chat.locator(".turn.user .bubble")).to_have_text(f"You said: {XSS}")
    assert chat.locator(".transcript img, .transcript script").count() == 0
    assert chat_frame(page).evaluate("document.title") != "pwned"
    assert page.title() != "pwned"


def test_bot_markdown_is_rendered_with_only_safe_links(page: Page, demo_url: str) -> None:
    crafted = [
        {
            "text": "**Bold** and _italic_ <img src=x onerror=alert(1)>\n\n"
            "- [safe](https://example.org/a)\n- [call](tel:988)\n- [text](sms:988)\n"
            "- [bad](javascript:alert(1))\n- [plain](http://example.org)\n\n"
            "1. **first** step\n2. second <b>step</b>\n3. third\n\n"
            f"_{NOTICE}_",
            "buttons": [{"title": "<b>not bold</b>", "payload": "/faq/bdnf"}],
        },
        {"custom": {"kind": "answer", "notice": NOTICE}},
    ]
    page.goto(demo_url)
    chat = open_widget(page)
    page.context.route("**/webhooks/rest/webhook", lambda route: route.fulfill(json=crafted))
    ask(chat, "anything")
    turn = last_bot_turn(chat)
    expect(turn.locator("p > strong")).to_have_text("Bold")
    expect(turn.locator("em")).to_have_text("italic")
    expect(turn.locator("ul > li")).to_have_count(5)
    expect(turn.locator("ol > li")).to_have_count(3)
    expect(turn.locator("ol > li").first.locator("strong")).to_have_text("first")
    expect(turn.locator("ol > li").nth(1)).to_have_text("second <b>step</b>")
    hrefs = turn.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/a", "tel:988", "sms:988"]
    expect(turn.locator(".bubble")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(turn.locator(".bubble")).to_contain_text("bad")
    assert turn.locator("img, b").count() == 0
    expect(turn.get_by_role("button")).to_have_text(["<b>not bold</b>"])


def host_page(servers: Dict[str, Any], path: str, html: str) -> str:
    """Serves a page of the test's own making from the demo origin (one the widget allows)."""
    servers["demo_server"].other_pages[path] = html.encode()
    return f"{servers['demo_origin']}{path}"


def snippet(widget_origin: str, attributes: str = "") -> str:
    return f'<script src="{widget_origin}/widget/embed.js" async {attributes}></script>'


def widget_origin(servers: Dict[str, Any]) -> str:
    return f"http://localhost:{servers['rasa_port']}"


def test_hostile_attribute_values_are_ignored_with_a_warning(
    page: Page, servers: Dict[str, Any]
) -> None:
    attributes = (
        'data-clinic-name="<img src=x onerror=alert(1)>" data-clinic-phone="javascript:alert(1)" '
        'data-booking-url="javascript:alert(1)//https://x" data-region="<b>" '
        'data-accent="red;background:url(https://evil.example/x)"'
    )
    page_html = f"<!doctype html><title>t</title>{snippet(widget_origin(servers), attributes)}"
    url = host_page(servers, "/hostile-attributes", page_html)
    warnings: List[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(url)
    chat = open_widget(page)
    assert sorted(w.split("data-")[1].split(" ")[0] for w in warnings) == [
        "accent",
        "booking-url",
        "clinic-name",
        "clinic-phone",
        "region",
    ]
    assert all("alert" not in w and "<" not in w for w in warnings)
    expect(chat.locator("#subtitle")).to_have_text(
        "Automated assistant · no one at the clinic reads this chat"
    )
    frame_src = page.locator(FRAME).get_attribute("src") or ""
    assert frame_src.endswith("#host=" + quote(servers["demo_origin"], safe=""))
    launcher = page.get_by_role("button", name=LAUNCHER)
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(29, 92, 143)"


# Values a page might send, each through the server's rule and the chat page's.
PAGE_VALUES: List[Tuple[str, str]] = [
    ("clinic_name", "Bright Path Clinic"),
    ("clinic_name", "  Bright \t Path\u00a0 Clinic "),
    ("clinic_name", "Clínica São João"),
    ("clinic_name", "Клиника Ⅻ ½ ٣ ǅ ʰ 診療所"),
    ("clinic_name", "Dr. O'Neil & Co/+-_"),
    ("clinic_name", "Cafe\u0301"),  # a combining accent: not a letter to either
    ("clinic_name", "<b>x</b>"),
    ("clinic_name", "[x](https://evil.example)"),
    ("clinic_name", "**bold**"),
    ("clinic_name", "a" * 80),
    ("clinic_name", "a" * 81),
    ("clinic_phone", "988"),
    ("clinic_phone", " +1 (555) 010-0199 "),
    ("clinic_phone", "12"),
    ("clinic_phone", "123 456 789 012 345"),
    ("clinic_phone", "1" * 16),
    ("clinic_phone", "tel:988"),
    ("clinic_phone", "１２３"),
    ("booking_url", "https://clinic.example/book?slot=1"),
    ("booking_url", "HTTPS://Clinic.Example"),
    ("booking_url", "http://clinic.example"),
    ("booking_url", "javascript:alert(1)//https://x"),
    ("booking_url", "https://a b.example"),
    ("booking_url", "https://clinic.example/<script>"),
    ("booking_url", "https://" + "a" * 292),
    ("booking_url", "https://" + "a" * 293),
    ("region", "GB"),
    ("region", " gb "),
    ("region", "USA"),
    ("region", "U1"),
    ("region", "ÜS"),
]
# Refused only by the server's check that a URL names a host and carries no credentials; the
# server checks every value again, so the chat page need not.
SERVER_ONLY: List[Tuple[str, str]] = [
    ("booking_url", "https://"),
    ("booking_url", "https:///path"),
    ("booking_url", "https://user:pw@clinic.example"),
]
APPLY_RULES = """([rules, values]) => values.map(([key, value]) => {
  const rule = rules[key];
  let v = value.trim();
  if (rule.join_spaces) v = v.split(/\\s+/).join(" ");
  if (!new RegExp(rule.pattern, rule.flags).test(v)) return null;
  return rule.upper ? v.toUpperCase() : v;
})"""


def test_the_chat_pages_rules_for_page_values_are_the_servers(page: Page) -> None:
    cleaners = {field.key: field.clean for field in PAGE_FIELDS}
    values = PAGE_VALUES + SERVER_ONLY
    in_browser: List[Optional[str]] = page.evaluate(APPLY_RULES, [page_field_rules(), values])
    on_server = [cleaners[key](value)[0] for key, value in values]
    assert in_browser[: len(PAGE_VALUES)] == on_server[: len(PAGE_VALUES)]
    assert on_server[len(PAGE_VALUES) :] == [None] * len(SERVER_ONLY)
    assert None not in in_browser[len(PAGE_VALUES) :]
    assert any(result is None for result in on_server) and any(on_server)


def test_the_chat_page_reads_the_page_values_by_the_servers_rules(
    page: Page, servers: Dict[str, Any]
) -> None:
    values = {
        "clinic_name": "  Bright   Path Clinic ",
        "clinic_phone": "call me",
        "booking_url": "https://bright.example/book",
        "region": "gb",
    }
    page.goto(f"{widget_origin(servers)}/widget/chat#{urlencode(values)}")
    expect(page.locator("#subtitle")).to_have_text(
        "Bright Path Clinic · automated assistant · no one there reads this chat"
    )
    expect(page.locator(".turn.bot").first).to_contain_text("116 123")  # the UK's lines
    expect(page.locator("#crisis-body")).to_contain_text("85258")
    with page.expect_request("**/webhooks/rest/webhook") as sent:
        page.get_by_label("Your question").fill("what is bdnf?")
        page.get_by_label("Your question").press("Enter")
    assert sent.value.post_data_json["metadata"] == {
        "channel": "widget",
        "clinic_name": "Bright Path Clinic",
        "booking_url": "https://bright.example/book",
        "region": "GB",
    }
    expect(page.locator(".turn.bot")).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)


# Everything a careless or hostile stylesheet does to elements it does not own. (Nothing inside a
# page can escape a transform, filter or opacity set on <html> or <body> themselves.)
HOSTILE_CSS = """
html, body { font: 31px 'Comic Sans MS', cursive !important; color: red !important;
    line-height: 3 !important; letter-spacing: 4px !important; direction: rtl !important; }
body * { background: yellow !important; border: 7px dashed red !important;
    padding: 19px !important; margin: 23px !important; opacity: .6 !important;
    transform: rotate(3deg) !important; box-sizing: content-box !important;
    position: static !important; z-index: -1 !important; width: 10px !important; }
div, iframe, button, mindwork-widget { display: none !important; visibility: hidden !important; }
:root { --accent: red; }
"""


def test_hostile_page_css_does_not_change_the_widget(
    context: BrowserContext, servers: Dict[str, Any]
) -> None:
    origin = widget_origin(servers)
    plain_url = host_page(
        servers, "/plain-page", f"<!doctype html><title>p</title><p>x</p>{snippet(origin)}"
    )
    hostile_url = host_page(
        servers,
        "/hostile-page",
        f"<!doctype html><title>h</title><style>{HOSTILE_CSS}</style><p>x</p>{snippet(origin)}",
    )
    looks = []
    for url in (plain_url, hostile_url):
        page = context.new_page()
        page.goto(url)
        chat = open_widget(page)
        page.mouse.move(0, 0)
        looks.append(
            (
                page.get_by_role("button", name=LAUNCHER).bounding_box(),
                page.locator(FRAME).bounding_box(),
                page.locator("mindwork-widget").screenshot(),
                chat.locator("body").screenshot(),
            )
        )
        shot(page, "08-hostile-css" if url == hostile_url else "08-plain-host")
        page.close()
    assert looks[0][:2] == looks[1][:2]
    assert looks[0][2] == looks[1][2], "the launcher and panel look different on the hostile page"
    assert looks[0][3] == looks[1][3], "the chat looks different on the hostile page"


def test_loaded_twice_and_late_one_widget_and_one_global(
    page: Page, servers: Dict[str, Any]
) -> None:
    origin = widget_origin(servers)
    bare_url = host_page(servers, "/bare-page", "<!doctype html><title>b</title><p>x</p>")
    twice_url = host_page(
        servers,
        "/twice-page",
        f"<!doctype html><title>t</title><p>x</p>{snippet(origin)}{snippet(origin)}",
    )
    keys = "() => Object.keys(window)"
    page.goto(bare_url)
    bare_globals = set(page.evaluate(keys))
    page.goto(twice_url)
    page.get_by_role("button", name=LAUNCHER).wait_for()
    # A third copy, added long after the page loaded.
    page.evaluate(
        "src => { const s = document.createElement('script'); s.src = src;"
        " document.body.appendChild(s); }",
        f"{origin}/widget/embed.js?late",
    )
    page.wait_for_load_state("networkidle")
    assert page.locator("mindwork-widget").count() == 1
    assert set(page.evaluate(keys)) - bare_globals == {"MindworkWidget"}
    open_widget(page)
    page.keyboard.press("Escape")  # else it reopens by itself on the next page of the tab
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "false")

    page.goto(bare_url)
    page.evaluate(
        "src => { const s = document.createElement('script'); s.src = src;"
        " s.dataset.clinicName = 'Late Clinic'; document.body.appendChild(s); }",
        f"{origin}/widget/embed.js",
    )
    chat = open_widget(page)
    expect(chat.locator("#subtitle")).to_contain_text("Late Clinic")


def test_the_server_stopped_mid_conversation_shows_a_retry_and_keeps_the_message(
    page: Page, demo_url: str, servers: Dict[str, Any]
) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "what is bdnf?")
    rasa = servers["processes"][1]
    rasa.terminate()
    rasa.wait(timeout=30)
    try:
        box = chat.get_by_label("Your question")
        box.fill("what is neuroplasticity?")
        box.press("Enter")
        status = chat.locator("#status")
        expect(status).to_contain_text("Couldn't reach the assistant")
        expect(chat.locator(".turn.user").last).to_contain_text("what is neuroplasticity?")
        expect(chat.locator(".turn.user .failed-note")).to_have_text("Not sent yet")
        shot(page, "09-server-down-retry")
    finally:
        port = servers["rasa_port"]
        # Started as the suite's servers are: with the demo clinic's answers, which later
        # tests (tests/servers/test_intake.py) read.
        env = {"WIDGET_DEMO_ORIGIN": servers["demo_origin"], **demo_answers_env()}
        servers["processes"][1] = start_rasa_server(port, servers["endpoints"], env)
        wait_until_ready(f"http://localhost:{port}/webhooks/rest/", servers["processes"][1], 180)
    started = time.monotonic()
    status.get_by_role("button", name="Retry").click()
    expect(chat.locator(".turn.bot")).to_have_count(3, timeout=ANSWER_TIMEOUT_MS)
    expect(last_bot_turn(chat)).to_contain_text("Neuroplasticity is")
    expect(chat.locator(".failed-note")).to_have_count(0)
    assert time.monotonic() - started < ANSWER_TIMEOUT_MS / 1000


# Where the newest bot turn's first line is, against the transcript's viewport: at the moment the
# turn is added (a MutationObserver runs right after the script that added it), and now.
FIRST_LINE_SEEN = """() => {
    const transcript = document.getElementById('transcript');
    const view = transcript.getBoundingClientRect();
    const turn = transcript.querySelector('.turn.bot:last-child');
    if (!turn) return null;
    const first = turn.querySelector('.bubble p').getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(turn.querySelector('.bubble p')).lineHeight);
    return {
        visible: first.top >= view.top - 1 && first.top + lineHeight <= view.bottom + 1,
        turnTaller: turn.getBoundingClientRect().height > transcript.clientHeight,
        atBottom: transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 1,
    };
}"""
WATCH_ARRIVAL = (
    "seen => { window.atArrival = null; const before = document.querySelectorAll('.turn.bot')"
    ".length; new MutationObserver((_, observer) => { if (document.querySelectorAll('.turn.bot')"
    ".length > before) { window.atArrival = (" + FIRST_LINE_SEEN + ")(); observer.disconnect(); }"
    " }).observe(document.getElementById('transcript'), {childList: true}); }"
)


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_a_long_answer_is_shown_from_its_first_line(
    browser: Browser, demo_url: str, motion: str
) -> None:
    # A laptop's short window: the BDNF answer is taller than the transcript.
    context = browser.new_context(viewport={"width": 1280, "height": 600}, reduced_motion=motion)
    try:
        page = context.new_page()
        page.goto(demo_url)
        chat = open_widget(page)
        frame = chat_frame(page)
        frame.evaluate(WATCH_ARRIVAL)
        ask(chat, "/faq/bdnf")
        expect(last_bot_turn(chat)).to_contain_text("Brain-Derived Neurotrophic Factor")
        at_arrival = frame.evaluate("window.atArrival")
        assert at_arrival["turnTaller"], "the answer fits: this test would show nothing"
        if motion == "reduce":
            # No animation: the first line is in view in the same moment the answer appears.
            assert at_arrival["visible"]
        else:
            # A smooth scroll from where the reader was (the question, at the bottom).
            assert not at_arrival["visible"]
        # Polled from here: the chat page's CSP forbids the eval that wait_for_function needs.
        deadline = time.monotonic() + 5
        while not frame.evaluate(FIRST_LINE_SEEN)["visible"]:
            assert time.monotonic() < deadline, "the answer's first line never came into view"
            time.sleep(0.05)
        assert not frame.evaluate(FIRST_LINE_SEEN)["atBottom"]
        if motion == "reduce":
            shot(page, "11-long-answer-from-its-start")
    finally:
        context.close()


def closed_port_origin() -> str:
    """An origin where nothing listens: a port the system just handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    return f"http://localhost:{port}"


FALLBACK = "The chat is unavailable right now"


def test_with_the_server_unreachable_the_loader_still_gives_crisis_help(
    page: Page, servers: Dict[str, Any]
) -> None:
    """The visitor's browser has the loader (cached for five minutes, or from a CDN) but nothing
    answers at the assistant's origin, so the framed chat page never loads."""
    dead = closed_port_origin()
    loader = asset("embed.js").body
    page.context.route(
        f"{dead}/widget/embed.js",
        lambda route: route.fulfill(body=loader, content_type="application/javascript"),
    )
    attributes = (
        'data-region="GB" data-clinic-name="Bright Path Clinic" data-clinic-phone="+1 555 010 0199"'
    )
    url = host_page(
        servers,
        "/server-unreachable",
        '<!doctype html><html lang="en"><title>Intake</title><main><h1>Intake</h1></main>'
        f"{snippet(dead, attributes)}</html>",
    )
    page.goto(url)
    page.get_by_role("button", name=LAUNCHER).click()  # at once, while the frame is loading
    title = page.get_by_role("heading", name=FALLBACK)
    expect(title).to_be_focused()  # moved from the frame the visitor had opened
    expect(page.locator(FRAME)).to_be_hidden()
    fallback = page.get_by_role("region", name=FALLBACK)
    for href in (
        "tel:988",
        "sms:988",
        "tel:911",
        "tel:116123",
        "sms:85258",
        "tel:999",
        "tel:+15550100199",
    ):
        expect(fallback.locator(f"a[href='{href}']")).to_be_visible()
    expect(fallback.get_by_role("link", name="Call 988")).to_have_count(1)
    # Every line of the region, with its hours and each way in with its own verb.
    expect(fallback).to_contain_text("In the UK: Samaritans (24/7) Call 116 123")
    expect(fallback).to_contain_text("In the UK: Shout (24/7) Text SHOUT to 85258")
    expect(fallback).to_contain_text("In the UK, in an emergency: Call 999")
    expect(fallback).to_contain_text("In the US, in an emergency: Call 911")
    expect(fallback).to_contain_text("Outside the UK: call your local emergency number")
    expect(fallback).to_contain_text("To reach Bright Path Clinic: Call +1 555 010 0199")
    shot(page, "10-server-unreachable-fallback")

    from axe_playwright_python.sync_playwright import Axe

    assert serious_violations(Axe().run(page)) == []

    page.keyboard.press("Tab")
    retry = fallback.get_by_role("button", name="Try again")
    expect(retry).to_be_focused()
    page.keyboard.press("Enter")  # nothing there yet
    expect(fallback.get_by_role("status")).to_have_text(
        "Still unavailable. Please try again later.", timeout=20_000
    )
    expect(retry).to_be_focused()
    expect(page.locator(FRAME)).to_be_hidden()

    # The server is back: its origin now answers with the real assistant's responses.
    real = widget_origin(servers)

    def from_the_assistant(route: Route) -> None:
        if route.request.url.endswith("/embed.js"):
            route.fallback()  # to the route above
        else:
            route.fulfill(response=route.fetch(url=route.request.url.replace(dead, real)))

    page.context.route(f"{dead}/**", from_the_assistant)
    retry.click()
    chat = page.frame_locator(FRAME)
    expect(chat.get_by_label("Your question")).to_be_focused()
    expect(fallback).to_be_hidden()
    expect(chat.locator(".turn.bot").first).to_contain_text("can't diagnose")
    page.keyboard.press("Escape")
    expect(page.locator(FRAME)).to_be_hidden()


def test_a_numbered_answer_renders_as_a_list(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "/faq/ketamine_mechanism")
    steps = last_bot_turn(chat).locator(".bubble ol > li")
    expect(steps).to_have_count(4)
    expect(steps.first).to_contain_text("Blocking NMDA receptors")
    numbered_paragraph = re.compile(r"^\s*\d\.")
    expect(
        last_bot_turn(chat).locator(".bubble p").filter(has_text=numbered_paragraph)
    ).to_have_count(0)


# Phone and laptop widths: the crisis card's lines and a long answer must read on both.
WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}
# Each link of a crisis line sits on one line, inside the bubble, in the line's row of links.
CRISIS_LAYOUT = """turn => {
    const bubble = turn.querySelector('.bubble').getBoundingClientRect();
    return [...turn.querySelectorAll('a[href^="tel:"], a[href^="sms:"]')].map(a => {
        const box = a.getBoundingClientRect();
        const lineHeight = parseFloat(getComputedStyle(a).lineHeight);
        return {
            href: a.getAttribute('href'),
            inRow: a.parentElement.classList.contains('actions'),
            inside: box.left >= bubble.left - 0.5 && box.right <= bubble.right + 0.5,
            oneLine: box.height < 2 * lineHeight,
        };
    });
}"""


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_crisis_card_reads_on_a_phone_and_a_laptop(
    browser: Browser, servers: Dict[str, Any], width: str
) -> None:
    context = browser.new_context(
        viewport=WIDTHS[width], is_mobile=width == "390", has_touch=width == "390"
    )
    try:
        attributes = 'data-region="GB" data-clinic-name="Bright Path Clinic"'
        url = host_page(
            servers,
            "/intake-gb",
            '<!doctype html><html lang="en"><title>Intake</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<main><h1>Intake</h1></main>{snippet(widget_origin(servers), attributes)}</html>",
        )
        page = context.new_page()
        page.goto(url)
        chat = open_widget(page)
        ask(chat, "i took like 40 of my ibuprofen")
        crisis = last_bot_turn(chat)
        expect(crisis).to_have_attribute("data-kind", "crisis")
        # The emergency number is bold like the sentence around it, not left out of it.
        expect(crisis.locator("strong").filter(has_text="call 999 now")).to_have_count(1)
        for href in ("tel:999", "tel:116123", "sms:85258"):
            expect(crisis.locator(f"a[href='{href}']").first).to_be_attached()
        shout = crisis.locator("li").filter(has_text="(Shout, 24/7)")
        expect(shout).to_contain_text("Text SHOUT to 85258")
        expect(shout.locator(".actions a")).to_have_text("text SHOUT to 85258")
        links = crisis.evaluate(CRISIS_LAYOUT)
        assert len(links) == 4  # 999 twice (the first line and the list), 116 123, 85258
        for link in links:
            assert link["inRow"] and link["inside"] and link["oneLine"], link
        shot(page, f"12-crisis-turn-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_long_answer_reads_on_a_phone_and_a_laptop(
    browser: Browser, demo_url: str, width: str
) -> None:
    context = browser.new_context(
        viewport=WIDTHS[width],
        is_mobile=width == "390",
        has_touch=width == "390",
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        page.goto(demo_url)
        chat = open_widget(page)
        ask(chat, "/faq/ketamine_mechanism")
        answer = last_bot_turn(chat)
        expect(answer.locator("ol > li")).to_have_count(4)
        bubble = answer.locator(".bubble").bounding_box()
        frame = page.locator(FRAME).bounding_box()
        assert bubble and frame and bubble["x"] + bubble["width"] <= frame["x"] + frame["width"]
        shot(page, f"13-long-answer-{width}")
    finally:
        context.close()


# The crisis conversation (issue 18): its turns keep the lines as buttons to call and text; the
# finished safety plan can be printed or saved on the person's own device, and nothing is sent.
PLAN_ANSWERS = (
    "when i stop sleeping and stop answering texts",
    None,  # skipped with the button
    "my cousin and the dog park",
    "my aunt rosa 555 0142",
    "dr okafor at the clinic",
    "my partner keeps my things for a while",
)


def tap(chat: FrameLocator, title: str) -> None:
    before = chat.locator(".turn.bot").count()
    last_bot_turn(chat).get_by_role("button", name=title, exact=True).click()
    expect(chat.locator(".turn.bot")).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_crisis_conversation_and_the_finished_plan_on_a_phone_and_a_laptop(
    browser: Browser, demo_url: str, width: str
) -> None:
    context = browser.new_context(
        viewport=WIDTHS[width],
        is_mobile=width == "390",
        has_touch=width == "390",
        reduced_motion="reduce",
        accept_downloads=True,
    )
    try:
        page = context.new_page()
        page.goto(demo_url)
        chat = open_widget(page)
        ask(chat, "i want to kill myself")
        crisis = last_bot_turn(chat)
        expect(crisis).to_contain_text("Are you safe right now?")
        expect(crisis.locator(".buttons button")).to_have_text(
            ["Yes, I'm safe right now", "No", "I'm not sure"]
        )
        tap(chat, "No")
        unsafe = last_bot_turn(chat)
        expect(unsafe).to_have_attribute("data-kind", "support")
        expect(unsafe).to_contain_text("Can you stay with someone, or go somewhere safer")
        # The emergency number first, each line's links as buttons in their own row.
        assert unsafe.locator("a[href^='tel:']").first.get_attribute("href") == "tel:911"
        for link in unsafe.evaluate(CRISIS_LAYOUT):
            assert link["inRow"] and link["inside"] and link["oneLine"], link
        shot(page, f"18-crisis-conversation-{width}")

        tap(chat, "Yes, I can")
        expect(last_bot_turn(chat)).to_contain_text("Please go to them now")
        tap(chat, "Make a safety plan")
        expect(last_bot_turn(chat)).to_contain_text("Step 1 of 6")
        for answer in PLAN_ANSWERS:
            if answer is None:
                tap(chat, "Skip")
            else:
                ask(chat, answer)
        plan = last_bot_turn(chat)
        expect(plan.locator(".bubble ol > li")).to_have_count(6)
        expect(plan.locator(".bubble ol > li").nth(1)).to_contain_text("(skipped)")
        expect(plan.locator(".bubble ol > li").nth(4)).to_contain_text("dr okafor at the clinic")
        tools = plan.get_by_role("group", name="Your safety plan")
        expect(tools.get_by_role("button")).to_have_text(["Print my plan", "Save as a file"])
        shot(page, f"18-safety-plan-{width}")  # the plan from its first line
        tools.scroll_into_view_if_needed()
        shot(page, f"18-safety-plan-end-{width}")  # its last steps, and print or save

        requests: List[str] = []
        page.on("request", lambda request: requests.append(request.url))
        with page.expect_download() as saved:
            tools.get_by_role("button", name="Save as a file").click()
        assert saved.value.suggested_filename == "my-safety-plan.txt"
        content = open(saved.value.path(), encoding="utf-8").read()
        for answer in PLAN_ANSWERS:
            assert answer is None or answer in content, answer
        assert "Professionals and lines" in content and "988" in content
        frame = chat_frame(page)
        frame.evaluate("() => { window.print = () => { window.printedPlan = true; }; }")
        tools.get_by_role("button", name="Print my plan").click()
        assert frame.evaluate("() => window.printedPlan === true")
        expect(plan).to_have_class(re.compile(r"\bprint-target\b"))
        assert not [url for url in requests if "/webhooks/" in url], "the plan was sent"
    finally:
        context.close()


def test_coming_back_after_tapping_a_line_asks_whether_they_reached_someone(
    page: Page, demo_url: str
) -> None:
    page.goto(demo_url)
    chat = open_widget(page)
    ask(chat, "i want to kill myself")
    frame = chat_frame(page)
    # A real phone leaves for its dialler; here the tap goes nowhere.
    frame.evaluate(
        "() => document.addEventListener('click', event => {"
        " if (event.target.closest('a[href^=\"tel:\"]')) event.preventDefault(); }, true)"
    )
    before = chat.locator(".turn.bot").count()
    last_bot_turn(chat).locator("a[href='tel:988']").first.click()
    time.sleep(2.5)  # away long enough to have called
    page.keyboard.press("Escape")
    expect(page.locator(FRAME)).to_be_hidden()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(chat.locator(".turn.bot")).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    back = last_bot_turn(chat)
    expect(back).to_contain_text("Welcome back. Were you able to reach someone")
    expect(back.locator(".buttons button")).to_have_text(["Yes", "Not yet"])
    expect(chat.locator(".turn.user")).to_have_count(1)  # the return is not shown as a message
    back.scroll_into_view_if_needed()
    time.sleep(0.5)  # the smooth scroll to the new turn ends
    shot(page, "18-welcome-back")
    # Once: opening the chat again asks nothing more.
    page.keyboard.press("Escape")
    page.get_by_role("button", name=LAUNCHER).click()
    time.sleep(1)
    expect(chat.locator(".turn.bot")).to_have_count(before + 1)
