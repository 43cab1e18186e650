"""The staff page at /insights: off without a token, a sign-in form and a cookie, no token in a
URL, suppressed counts, CSV, strict CSP, and, in a real browser, a phone layout and axe."""

from __future__ import annotations

import http.client
import re
import time
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import urlencode

import pytest
from cluster import RASA_PORTS, Cluster
from playwright.sync_api import Browser, expect, sync_playwright

from bot.insights.page import COOKIE, CSP, session_is_valid, session_value
from bot.insights.report import FEWER

from conftest import INSIGHTS_TOKEN, ROOT

pytestmark = pytest.mark.servers

SCREENSHOTS = ROOT / "results" / "screenshots"


def request(
    port: int,
    method: str,
    path: str,
    body: Optional[str] = None,
    headers: Optional[Dict[str, str]] = None,
) -> Tuple[int, Dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body, headers or {})
        answer = connection.getresponse()
        got = {key.lower(): value for key, value in answer.getheaders()}
        return answer.status, got, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def sign_in(port: int, token: str = INSIGHTS_TOKEN) -> Tuple[int, Dict[str, str]]:
    status, headers, _ = request(
        port,
        "POST",
        "/insights/login",
        urlencode({"token": token}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status, headers


def cookie_header(headers: Dict[str, str]) -> Dict[str, str]:
    value = headers["set-cookie"].split(";", 1)[0]
    return {"Cookie": value}


@pytest.fixture
def port(servers: Dict[str, Any]) -> int:
    return int(servers["rasa_port"])


@pytest.fixture
def signed_in(port: int) -> Dict[str, str]:
    status, headers = sign_in(port)
    assert status == 303
    return cookie_header(headers)


def test_without_a_token_setting_there_is_no_page(cluster: Cluster) -> None:
    paths = ("/insights", "/insights/insights.csv", "/insights/login", "/insights/insights.css")
    for method, path in zip(("GET", "GET", "POST", "GET"), paths, strict=True):
        assert request(RASA_PORTS[0], method, path)[0] == 404, path


def test_the_page_asks_to_sign_in_and_a_token_in_the_url_does_nothing(port: int) -> None:
    for path in ("/insights", f"/insights?token={INSIGHTS_TOKEN}", "/insights/"):
        status, headers, body = request(port, "GET", path)
        assert status == 200 and 'name="token"' in body and "Conversations" not in body
        assert headers["content-security-policy"] == CSP
        assert "set-cookie" not in headers
    status, headers, _ = request(port, "GET", f"/insights/insights.csv?token={INSIGHTS_TOKEN}")
    assert status == 303 and headers["location"] == "/insights"


def test_a_wrong_token_is_refused(port: int) -> None:
    for wrong in ("", "x" * 40, INSIGHTS_TOKEN[:-1], INSIGHTS_TOKEN + "x"):
        status, headers = sign_in(port, wrong)
        assert status == 401 and "set-cookie" not in headers


def test_the_right_token_sets_a_strict_httponly_cookie_without_the_token(port: int) -> None:
    status, headers = sign_in(port)
    assert status == 303 and headers["location"] == "/insights"
    cookie = headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert re.search(r"samesite=strict", cookie, re.I) and re.search(
        r"path=/insights", cookie, re.I
    )
    assert INSIGHTS_TOKEN not in cookie
    assert session_is_valid(INSIGHTS_TOKEN, cookie.split(";")[0].split("=", 1)[1])


def test_sessions_expire_and_cannot_be_forged() -> None:
    value = session_value(INSIGHTS_TOKEN, now=1000.0)
    assert session_is_valid(INSIGHTS_TOKEN, value, now=1001.0)
    assert not session_is_valid(INSIGHTS_TOKEN, value, now=1000.0 + 9 * 3600)
    assert not session_is_valid("another-token-of-length", value, now=1001.0)
    expires, signature = value.split(".")
    assert not session_is_valid(INSIGHTS_TOKEN, f"{int(expires) + 99999}.{signature}", now=1001.0)


def test_every_count_on_the_page_is_five_or_more_or_hidden(
    port: int, signed_in: Dict[str, str], assistant: Any
) -> None:
    for message in ("hello", "/faq/bdnf", "i want to kill myself"):
        assistant.send(f"page-{time.monotonic_ns()}", message)
    time.sleep(1.5)
    status, headers, body = request(port, "GET", "/insights", headers=signed_in)
    assert status == 200 and headers["content-security-policy"] == CSP
    assert headers["cache-control"] == "no-store"
    assert "<script" not in body.lower() and "style=" not in body
    headings = ("Conversations", "Replies by kind", "Top topics", "does not cover")
    headings += ("Medications", "Crisis turns and check-ins per week", "Requests refused")
    for heading in headings:
        assert heading in body
    assert body.count("<svg") == 2
    cells = re.findall(r"<td>([^<]*)</td>", body)
    assert cells and FEWER in cells
    for cell in cells:
        assert cell == FEWER or cell == "None in this period." or int(cell.replace(",", "")) >= 5
    tampered = {"Cookie": signed_in["Cookie"][:-2] + "00"}
    assert 'name="token"' in request(port, "GET", "/insights", headers=tampered)[2]


def test_the_csv_has_the_same_aggregates(port: int, signed_in: Dict[str, str]) -> None:
    query = urlencode({"from": "2026-01-01", "to": "2026-01-07"})
    status, headers, body = request(
        port, "GET", f"/insights/insights.csv?{query}", headers=signed_in
    )
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert 'filename="insights-2026-01-01-2026-01-07.csv"' in headers["content-disposition"]
    lines = body.splitlines()
    assert lines[0] == "section,period,item,count"
    days = [line for line in lines if line.startswith("conversations per day,")]
    assert [line.split(",")[1] for line in days] == [f"2026-01-0{d}" for d in range(1, 8)]
    counts = [line.rsplit(",", 1)[1] for line in lines[1:]]
    assert all(count == FEWER or int(count) >= 5 for count in counts)
    page = request(port, "GET", f"/insights?{query}", headers=signed_in)[2]
    assert "2026-01-01" in page and "2026-01-07" in page


def test_signing_out_clears_the_cookie(port: int, signed_in: Dict[str, str]) -> None:
    status, headers, _ = request(port, "POST", "/insights/logout", headers=signed_in)
    assert status == 303 and re.search(r"max-age=0", headers["set-cookie"], re.I)


# --- in a browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def serious(results: Any) -> list:
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_signed_in_in_a_browser_readable_on_a_phone_with_no_serious_axe_findings(
    device: str, browser: Browser, port: int, assistant: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for index in range(6):  # enough for some counts to show
        assistant.send(f"browser-{device}-{index}", "/faq/bdnf")
    time.sleep(1.5)
    if device == "phone":
        context = browser.new_context(
            viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list = []
    page = context.new_page()
    # A CSP violation shows as a console error; a failed load as a response (the browser's own
    # favicon request is not the page's).
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    page.on(
        "response",
        lambda r: (
            errors.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    try:
        page.goto(f"http://localhost:{port}/insights")
        assert serious(Axe().run(page)) == []
        page.get_by_label("Insights token").fill(INSIGHTS_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Clinic insights")).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("Conversations per day"))).to_be_visible()
        assert INSIGHTS_TOKEN not in page.url
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies[COOKIE]["httpOnly"] and cookies[COOKIE]["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""
        # Nothing wider than the screen but the charts' own scroll boxes.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / f"insights-{device}.png"), full_page=True)
        assert serious(Axe().run(page)) == []
        assert errors == []  # e.g. a CSP violation
    finally:
        context.close()
