"""The staff page at `/insights` on the assistant's own server (an input channel listed in
`credentials.yml`, like the widget; it handles no messages).

It exists only when `insights.token` (`INSIGHTS_TOKEN`, at least 16 characters) is set;
otherwise every path answers 404. Staff sign in with the token in a form; the answer sets a
cookie that is HttpOnly, SameSite=Strict, limited to /insights and valid for 8 hours, and that
holds an expiry signed with a key derived from the token, never the token itself (changing the
token signs everyone out). No token ever travels in a URL. The page has no script at all and
the chat page's strict Content-Security-Policy; charts are SVG drawn here.

- `GET /insights`: the sign-in form, or the page (`?from=YYYY-MM-DD&to=YYYY-MM-DD`).
- `POST /insights/login`, `POST /insights/logout`.
- `GET /insights/insights.csv?from=...&to=...`: the same aggregates as CSV.
- `GET /insights/insights.css`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.insights.charts import bar_chart, column_chart
from bot.insights.report import (
    FEWER,
    SUPPRESS_BELOW,
    Report,
    Row,
    build_report,
    clamp_range,
    to_csv,
    today_in,
)
from bot.insights.store import create_tables, engine_for
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "mindwork_insights"
SESSION_S = 8 * 3600
DEFAULT_DAYS = 28
HTML = "text/html; charset=utf-8"
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# --- sessions -------------------------------------------------------------------------------------


def _key(token: str) -> bytes:
    return hashlib.sha256(b"mindwork-insights-session\x00" + token.encode()).digest()


def session_value(token: str, now: Optional[float] = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_S)
    signature = hmac.new(_key(token), str(expires).encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{signature}"


def session_is_valid(token: str, value: Optional[str], now: Optional[float] = None) -> bool:
    if not value or "." not in value:
        return False
    expires, _, signature = value.partition(".")
    if not expires.isdigit():
        return False
    expected = hmac.new(_key(token), expires.encode(), hashlib.sha256).hexdigest()
    current = now if now is not None else time.time()
    return hmac.compare_digest(expected, signature) and int(expires) > current


def token_matches(token: str, offered: Any) -> bool:
    if not isinstance(offered, str):
        return False
    return hmac.compare_digest(
        hashlib.sha256(token.encode()).digest(), hashlib.sha256(offered.encode()).digest()
    )


# --- dates ----------------------------------------------------------------------------------------


def _date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def requested_range(request: Request, settings: Settings) -> Tuple[date, date]:
    today = today_in(settings.insights_timezone)
    end = _date(request.args.get("to")) or today
    start = _date(request.args.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    return clamp_range(start, end)


# --- HTML -----------------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/insights/insights.css"></head>'
        f"<body>{body}</body></html>"
    )


def login_page(error: bool = False) -> str:
    message = (
        '<p class="error" role="alert">That token is not right. Please try again.</p>'
        if error
        else ""
    )
    return _page(
        "Clinic insights: sign in",
        '<main class="narrow"><h1>Clinic insights</h1>'
        "<p>For clinic staff. Sign in with the insights token your administrator set.</p>"
        f"{message}"
        '<form method="post" action="/insights/login">'
        '<label for="token">Insights token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" '
        'required minlength="16">'
        '<button type="submit">Sign in</button></form></main>',
    )


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">None in this period.</td></tr>'
    return (
        f'<div class="table-wrap" role="region" aria-label="{escape(caption)}" tabindex="0">'
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _rows(rows: Sequence[Row]) -> List[List[str]]:
    return [[row.label, row.cell.text] for row in rows]


def _section(heading_id: str, heading: str, content: str, note: str = "") -> str:
    extra = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<section aria-labelledby="{heading_id}"><h2 id="{heading_id}">{escape(heading)}</h2>'
        f"{content}{extra}</section>"
    )


def report_page(report: Report) -> str:
    start, end = report.start.isoformat(), report.end.isoformat()
    query = f"from={start}&amp;to={end}"
    days = report.conversations_by_day
    conversations = column_chart(
        "conversations",
        f"Conversations per day, {start} to {end}",
        [(d.strftime("%b %d"), d.strftime("%a %Y-%m-%d"), cell) for d, cell in days],
    )
    kinds = bar_chart(
        "kinds", "Turns by kind", [(row.label, row.cell) for row in report.turns_by_kind]
    )
    crisis_rows = [
        [week.isoformat(), crisis.text, check_in.text, shown.text]
        for week, crisis, check_in, shown in report.crisis_by_week
    ]
    refusal_rows = [[d.strftime("%a %Y-%m-%d"), c.text] for d, c in report.refusals_by_day]
    hidden_topics = (
        f"{report.topics_hidden} more topics were asked about {FEWER} times each, or are "
        "beyond this list."
        if report.topics_hidden
        else ""
    )
    body = (
        '<header class="top"><h1>Clinic insights</h1>'
        '<form method="post" action="/insights/logout" class="logout">'
        '<button type="submit">Sign out</button></form></header><main>'
        f'<p class="lead">What visitors asked the assistant from <strong>{start}</strong> to '
        f"<strong>{end}</strong> (days in {escape(report.timezone)}). No one's words are "
        f"kept, only facts about each reply; any count under {SUPPRESS_BELOW} shows as "
        f"“{FEWER}”.</p>"
        '<form method="get" action="/insights" class="range">'
        f'<div><label for="from">From</label><input id="from" name="from" type="date" '
        f'value="{start}"></div>'
        f'<div><label for="to">To</label><input id="to" name="to" type="date" value="{end}">'
        "</div>"
        '<button type="submit">Show</button>'
        f'<a class="download" href="/insights/insights.csv?{query}" download>'
        "Download CSV</a></form>"
        + _section(
            "h-conversations",
            f"Conversations: {report.conversations_total.text}",
            f'<div class="chart-wrap">{conversations}</div>'
            "<details><summary>Conversations per day as a table</summary>"
            + _table(
                "Conversations per day",
                ["Day", "Conversations"],
                [[d.strftime("%a %Y-%m-%d"), c.text] for d, c in days],
            )
            + "</details>",
            "A dashed outline is a day with fewer than 5 conversations (or none).",
        )
        + _section("h-kinds", "Replies by kind", f'<div class="chart-wrap">{kinds}</div>')
        + '<div class="grid">'
        + _section(
            "h-topics",
            "Top topics",
            _table(
                "Topics answered (the article, and the clinic's own answers)",
                ["Topic", "Answers"],
                _rows(report.topics),
            ),
            hidden_topics,
        )
        + _section(
            "h-themes",
            "What the article does not cover",
            _table("Not-covered questions by theme", ["Theme", "Questions"], _rows(report.themes)),
        )
        + _section(
            "h-meds",
            "Medications and treatments asked about",
            _table(
                "Named when asking about one's own situation",
                ["Medication", "Questions"],
                _rows(report.medications),
            )
            + _table("Treatments", ["Treatment", "Questions"], _rows(report.treatments)),
            f"Others were named {FEWER} times each."
            if report.medications_hidden or report.treatments_hidden
            else "",
        )
        + _section(
            "h-crisis",
            "Crisis turns and check-ins per week",
            _table(
                "Per week, starting Monday",
                ["Week of", "Crisis", "Check-ins", "With lines"],
                crisis_rows,
            ),
            "Crisis: crisis turns. Check-ins: answers that also showed the crisis lines because "
            "the assistant was unsure whether someone was in danger. With lines: every reply "
            "that showed the crisis lines, including reminders after a crisis turn or check-in.",
        )
        + _section(
            "h-plans",
            "Safety plans",
            _table(
                "In the crisis conversation",
                ["Safety plan", "Conversations"],
                _rows(report.safety_plans),
            ),
            "Offered: a conversation whose replies offered to make a safety plan. Started: its "
            "first question was asked. Finished: the whole plan was shown. What a plan says is "
            "never recorded.",
        )
        + _section(
            "h-refused",
            "Requests refused",
            _table("Refused per day", ["Day", "Requests"], refusal_rows)
            + _table("By reason", ["Reason", "Requests"], _rows(report.refusals_by_reason)),
        )
        + _section(
            "h-where",
            "Where conversations came from",
            _table("By channel", ["Channel", "Conversations"], _rows(report.channels))
            + _table("By region", ["Region", "Conversations"], _rows(report.regions))
            + _table("By clinic", ["Clinic", "Conversations"], _rows(report.clinics)),
        )
        + "</div></main>"
    )
    return _page(f"Clinic insights {start} to {end}", body)


def _html(body: str, status: int = 200) -> HTTPResponse:
    return HTTPResponse(
        body=body.encode("utf-8"), status=status, headers=dict(HEADERS), content_type=HTML
    )


def _redirect(location: str) -> HTTPResponse:
    return HTTPResponse(status=303, headers={**HEADERS, "Location": location})


def _not_found() -> HTTPResponse:
    return HTTPResponse(body=b"Not found", status=404, content_type="text/plain")


def _report_for(settings: Settings, start: date, end: date) -> Report:
    engine = engine_for(settings.insights_db_url)
    create_tables(engine)
    return build_report(engine, start, end, settings.insights_timezone)


class InsightsChannel(InputChannel):
    """Serves the staff page; it handles no messages."""

    @classmethod
    def name(cls) -> Text:
        return "insights"

    def url_prefix(self) -> Text:
        # Absolute, so Rasa mounts it at /insights rather than under /webhooks.
        return "/insights"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("clinic_insights", __name__)

        def signed_in(request: Request, token: str) -> bool:
            return session_is_valid(token, request.cookies.get(COOKIE))

        async def report(settings: Settings, request: Request) -> Optional[Report]:
            start, end = requested_range(request, settings)
            loop = asyncio.get_running_loop()
            try:
                # The queries block; the server's event loop must not.
                return await loop.run_in_executor(None, _report_for, settings, start, end)
            except Exception as error:  # noqa: BLE001 - the page says so
                logger.warning(
                    "Insights: the database could not be read (%s).", type(error).__name__
                )
                return None

        @page.route("/", methods=["GET"], strict_slashes=False)
        async def show(request: Request) -> HTTPResponse:
            settings = load_settings()
            token = settings.insights_token
            if not token:
                return _not_found()
            if not signed_in(request, token):
                return _html(login_page())
            found = await report(settings, request)
            if found is None:
                return _html(
                    _page(
                        "Clinic insights",
                        '<main class="narrow"><h1>Clinic insights</h1><p role="alert">The '
                        "insights database cannot be reached right now. The assistant keeps "
                        "answering; please try again later.</p></main>",
                    ),
                    503,
                )
            return _html(report_page(found))

        @page.route("/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            token = load_settings().insights_token
            if not token:
                return _not_found()
            offered = request.form.get("token") if request.form else None
            if not token_matches(token, offered):
                logger.info("Insights: a sign-in with a wrong token was refused.")
                return _html(login_page(error=True), 401)
            answer = _redirect("/insights")
            answer.cookies[COOKIE] = session_value(token)
            cookie = answer.cookies[COOKIE]
            cookie["httponly"] = True
            cookie["samesite"] = "Strict"
            cookie["path"] = "/insights"
            cookie["max-age"] = SESSION_S
            if request.scheme == "https":
                cookie["secure"] = True
            return answer

        @page.route("/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            if not load_settings().insights_token:
                return _not_found()
            answer = _redirect("/insights")
            answer.cookies[COOKIE] = ""
            answer.cookies[COOKIE]["path"] = "/insights"
            answer.cookies[COOKIE]["max-age"] = 0
            return answer

        @page.route("/insights.csv", methods=["GET"])
        async def download(request: Request) -> HTTPResponse:
            settings = load_settings()
            token = settings.insights_token
            if not token:
                return _not_found()
            if not signed_in(request, token):
                return _redirect("/insights")
            found = await report(settings, request)
            if found is None:
                return HTTPResponse(body=b"database unavailable", status=503, headers=HEADERS)
            name = f"insights-{found.start.isoformat()}-{found.end.isoformat()}.csv"
            return HTTPResponse(
                body=to_csv(found).encode("utf-8"),
                status=200,
                headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
                content_type="text/csv; charset=utf-8",
            )

        @page.route("/insights.css", methods=["GET"])
        async def styles(request: Request) -> HTTPResponse:
            if not load_settings().insights_token:
                return _not_found()
            return HTTPResponse(
                body=(STATIC / "insights.css").read_bytes(),
                status=200,
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
                content_type="text/css; charset=utf-8",
            )

        return page
