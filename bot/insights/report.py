"""What the staff see: counts over a date range, with every count under 5 shown as "fewer than 5".

The database holds one row per turn; every figure here is a count of rows, grouped in the
database by hour and one column, then folded into the clinic's days and weeks (the
`insights.timezone`) here. Suppression: a count under `SUPPRESS_BELOW` is never shown, and when
exactly one count of a table would be hidden, the next smallest is hidden too, so the hidden
one cannot be worked out by subtracting the others from a total shown elsewhere on the page.
Counts of overlapping date ranges can still be compared by someone with the token; the page is
for staff the clinic trusts with aggregates (README "Clinic insights").
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.clinic_answers import intake_topics
from bot.insights.facts import REFUSAL_REASONS
from bot.insights.store import refusals, turns
from bot.insights.themes import theme_labels, theme_names
from bot.marker import CHECK_IN, CRISIS, KINDS, PLAN_MILESTONES
from bot.topics import load_topics

SUPPRESS_BELOW = 5
FEWER = f"fewer than {SUPPRESS_BELOW}"
MAX_RANGE_DAYS = 400
TOP_TOPICS = 15

KIND_LABELS = {
    "answer": "Answers from the article",
    "crisis": "Crisis turns",
    "check_in": "Check-ins (answer with crisis lines)",
    "advice": "Own situation (referred to a professional)",
    "not_covered": "Not covered by the article",
    "out_of_scope": "Out of scope",
    "fallback": "Not understood",
    "smalltalk": "Greetings and small talk",
    "clinic_answer": "Questions about the clinic (its own answers)",
    "support": "Crisis conversation (safety, reaching out, safety plan)",
}
PLAN_LABELS = {
    "offered": "Safety plan offered",
    "started": "Safety plan started",
    "finished": "Safety plan finished",
}
REFUSAL_LABELS = {
    "input": "Malformed request",
    "too_large": "Request too large",
    "rate_conversation": "Rate limit (conversation)",
    "rate_client": "Rate limit (client address)",
}


@dataclass(frozen=True)
class Cell:
    """A count as shown: `shown` is None when it is suppressed."""

    shown: Optional[int]

    @property
    def text(self) -> str:
        return FEWER if self.shown is None else f"{self.shown:,}"

    @property
    def csv(self) -> str:
        return FEWER if self.shown is None else str(self.shown)


def suppress(values: Sequence[int]) -> List[Cell]:
    """Cells for one table's counts: small ones hidden, and never exactly one hidden."""
    shown: List[Optional[int]] = [v if v >= SUPPRESS_BELOW else None for v in values]
    hidden = [i for i, value in enumerate(shown) if value is None]
    visible = [i for i, value in enumerate(shown) if value is not None]
    if len(hidden) == 1 and visible:
        shown[min(visible, key=lambda i: values[i])] = None
    return [Cell(value) for value in shown]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cell: Cell


@dataclass
class Report:
    start: date
    end: date  # inclusive
    timezone: str
    conversations_total: Cell
    conversations_by_day: List[Tuple[date, Cell]]
    turns_by_kind: List[Row]
    topics: List[Row]
    topics_hidden: int  # topics asked about but under the threshold (or beyond the top list)
    themes: List[Row]
    medications: List[Row]
    medications_hidden: bool
    treatments: List[Row]
    treatments_hidden: bool
    # week start -> crisis turns, check-ins, turns that showed the crisis resources
    crisis_by_week: List[Tuple[date, Cell, Cell, Cell]]
    refusals_by_day: List[Tuple[date, Cell]]
    refusals_by_reason: List[Row]
    channels: List[Row]
    regions: List[Row]
    clinics: List[Row]
    # Conversations that were offered a safety plan, started one, finished one.
    safety_plans: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def last_week(today: date) -> Tuple[date, date]:
    """The seven days that end today."""
    return today - timedelta(days=6), today


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def clamp_range(start: date, end: date) -> Tuple[date, date]:
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_RANGE_DAYS:
        start = end - timedelta(days=MAX_RANGE_DAYS - 1)
    return start, end


def _utc_bounds(start: date, end: date, zone: ZoneInfo) -> Tuple[datetime, datetime]:
    """The UTC hours (naive, as stored) that cover local days start..end."""

    def utc(day: date) -> datetime:
        local = datetime.combine(day, time(0), tzinfo=zone)
        return local.astimezone(timezone.utc).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


def _local_day(hour: datetime, zone: ZoneInfo) -> date:
    return hour.replace(tzinfo=timezone.utc).astimezone(zone).date()


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _days(start: date, end: date) -> List[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class _Query:
    def __init__(self, engine: Engine, low: datetime, high: datetime) -> None:
        self.engine, self.low, self.high = engine, low, high

    def grouped(self, table: sa.Table, columns: Sequence[str], *where: Any) -> Counter:
        """Row counts grouped by the given columns within the range."""
        cols = [table.c[name] for name in columns]
        statement = (
            sa.select(*cols, sa.func.count())
            .where(table.c.hour >= self.low, table.c.hour < self.high, *where)
            .group_by(*cols)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        counts: Counter = Counter()
        for row in rows:
            counts[tuple(row[:-1])] += int(row[-1])
        return counts


def _rows(counts: Dict[str, int], keys: Iterable[str], labels: Dict[str, str]) -> List[Row]:
    keys = list(keys)
    cells = suppress([counts.get(key, 0) for key in keys])
    return [Row(key, labels.get(key, key), cell) for key, cell in zip(keys, cells, strict=True)]


def _top(counts: Dict[str, int], universe: Iterable[str], labels: Dict[str, str], limit: int):
    """The keys at or over the threshold, largest first (at most `limit`); the rest stay hidden,
    with the whole universe as the table, so hiding is never down to one count."""
    everything = sorted(set(universe) | set(counts), key=lambda key: (-counts.get(key, 0), key))
    rows = _rows(counts, everything, labels)
    shown = [row for row in rows if row.cell.shown is not None][:limit]
    hidden = sum(1 for key in everything if counts.get(key, 0) > 0) - len(shown)
    return shown, hidden


def _names(counts: Counter) -> Counter:
    """Counts per name, from a column of comma-separated names."""
    split: Counter = Counter()
    for (value,), count in counts.items():
        for name in str(value).split(","):
            if name:
                split[name] += count
    return split


def build_report(engine: Engine, start: date, end: date, zone_name: str = "UTC") -> Report:
    start, end = clamp_range(start, end)
    zone = ZoneInfo(zone_name)
    low, high = _utc_bounds(start, end, zone)
    query = _Query(engine, low, high)
    days = _days(start, end)

    first = query.grouped(turns, ["hour"], turns.c.first_turn.is_(True))
    per_day: Counter = Counter()
    for (hour,), count in first.items():
        per_day[_local_day(hour, zone)] += count
    by_day = suppress([per_day.get(day, 0) for day in days])

    kinds = {key: count for (key,), count in query.grouped(turns, ["kind"]).items()}
    plans = {
        key: count
        for (key,), count in query.grouped(
            turns, ["safety_plan"], turns.c.safety_plan.isnot(None)
        ).items()
    }
    topics = {
        key: count
        for (key,), count in query.grouped(turns, ["topic"], turns.c.topic.isnot(None)).items()
    }
    topic_labels = {topic_id: topic.title for topic_id, topic in load_topics().items()}
    # The clinic's intake topics (cost, hours...) count among the topics people ask about.
    topic_labels.update({topic_id: topic.title for topic_id, topic in intake_topics().items()})
    top_topics, topics_hidden = _top(topics, topic_labels, topic_labels, TOP_TOPICS)
    themes = {
        key: count
        for (key,), count in query.grouped(turns, ["theme"], turns.c.theme.isnot(None)).items()
    }
    meds = _names(query.grouped(turns, ["medications"], turns.c.medications.isnot(None)))
    treats = _names(query.grouped(turns, ["treatments"], turns.c.treatments.isnot(None)))
    shown_meds, meds_hidden = _top(dict(meds), (), {}, 50)
    shown_treats, treats_hidden = _top(dict(treats), (), {}, 50)

    weekly = query.grouped(turns, ["hour", "kind", "crisis_resources"])
    weeks = sorted({_week_start(day) for day in days})
    crisis: Counter = Counter()
    check_ins: Counter = Counter()
    resources: Counter = Counter()
    for (hour, kind, shown), count in weekly.items():
        week = _week_start(_local_day(hour, zone))
        if kind == CRISIS:
            crisis[week] += count
        elif kind == CHECK_IN:
            check_ins[week] += count
        if shown:
            resources[week] += count
    crisis_cells = suppress([crisis.get(week, 0) for week in weeks])
    check_in_cells = suppress([check_ins.get(week, 0) for week in weeks])
    resource_cells = suppress([resources.get(week, 0) for week in weeks])

    refused = query.grouped(refusals, ["hour", "reason"])
    refused_day: Counter = Counter()
    refused_reason: Counter = Counter()
    for (hour, reason), count in refused.items():
        refused_day[_local_day(hour, zone)] += count
        refused_reason[reason] += count

    conversations = {"first_turn": sum(per_day.values())}
    channels = query.grouped(turns, ["channel"], turns.c.first_turn.is_(True))
    regions = query.grouped(turns, ["region"], turns.c.first_turn.is_(True))
    clinics = query.grouped(turns, ["clinic"], turns.c.first_turn.is_(True))

    def flat(counts: Counter, none_label: str) -> Dict[str, int]:
        return {(key if key is not None else none_label): count for (key,), count in counts.items()}

    clinic_counts = flat(clinics, "(none named)")
    region_counts = flat(regions, "?")
    return Report(
        start=start,
        end=end,
        timezone=zone_name,
        conversations_total=suppress([conversations["first_turn"]])[0],
        conversations_by_day=list(zip(days, by_day, strict=True)),
        turns_by_kind=_rows(kinds, KINDS, KIND_LABELS),
        topics=top_topics,
        topics_hidden=topics_hidden,
        themes=_rows(themes, theme_names(), theme_labels()),
        medications=shown_meds,
        medications_hidden=meds_hidden > 0,
        treatments=shown_treats,
        treatments_hidden=treats_hidden > 0,
        crisis_by_week=list(zip(weeks, crisis_cells, check_in_cells, resource_cells, strict=True)),
        refusals_by_day=list(
            zip(days, suppress([refused_day.get(day, 0) for day in days]), strict=True)
        ),
        refusals_by_reason=_rows(dict(refused_reason), REFUSAL_REASONS, REFUSAL_LABELS),
        channels=_rows(
            flat(channels, "api"), ("widget", "api"), {"widget": "Widget", "api": "API"}
        ),
        regions=_top(region_counts, (), {}, 50)[0],
        clinics=_top(clinic_counts, (), {}, 50)[0],
        safety_plans=_rows(plans, PLAN_MILESTONES, PLAN_LABELS),
    )


# --- CSV and text ---------------------------------------------------------------------------------


def csv_rows(report: Report) -> List[List[str]]:
    """The page's aggregates as (section, period, item, count) rows."""
    period = f"{report.start.isoformat()}..{report.end.isoformat()}"
    rows: List[List[str]] = [["section", "period", "item", "count"]]
    rows.append(["conversations", period, "total", report.conversations_total.csv])
    rows += [
        ["conversations per day", d.isoformat(), "", c.csv] for d, c in report.conversations_by_day
    ]
    rows += [["turns by kind", period, r.key, r.cell.csv] for r in report.turns_by_kind]
    rows += [["top topics", period, r.key, r.cell.csv] for r in report.topics]
    rows += [["not-covered themes", period, r.key, r.cell.csv] for r in report.themes]
    rows += [["medications asked about", period, r.key, r.cell.csv] for r in report.medications]
    rows += [["treatments asked about", period, r.key, r.cell.csv] for r in report.treatments]
    for week, crisis, check_in, shown in report.crisis_by_week:
        rows.append(["crisis turns per week", week.isoformat(), "crisis", crisis.csv])
        rows.append(["crisis turns per week", week.isoformat(), "check_in", check_in.csv])
        rows.append(["crisis turns per week", week.isoformat(), "resources_shown", shown.csv])
    rows += [
        ["requests refused per day", d.isoformat(), "", c.csv] for d, c in report.refusals_by_day
    ]
    rows += [
        ["requests refused by reason", period, r.key, r.cell.csv] for r in report.refusals_by_reason
    ]
    rows += [["conversations by channel", period, r.key, r.cell.csv] for r in report.channels]
    rows += [["conversations by region", period, r.key, r.cell.csv] for r in report.regions]
    rows += [["conversations by clinic", period, r.key, r.cell.csv] for r in report.clinics]
    rows += [["safety plans", period, r.key, r.cell.csv] for r in report.safety_plans]
    return rows


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(report):
        # Every value is a count or a fixed name, but a spreadsheet must never read a formula.
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return out.getvalue()


def to_text(report: Report) -> str:
    """`make insights`: the same aggregates as aligned tables."""
    lines = [
        f"Clinic insights {report.start.isoformat()} to {report.end.isoformat()} "
        f"({report.timezone}); counts under {SUPPRESS_BELOW} show as '{FEWER}'.",
        "",
        f"Conversations: {report.conversations_total.text}",
    ]

    def table(title: str, rows: Sequence[Tuple[str, str]]) -> None:
        lines.append("")
        lines.append(title)
        if not rows:
            lines.append("  (none)")
            return
        width = max(len(label) for label, _ in rows)
        lines.extend(f"  {label.ljust(width)}  {value:>13}" for label, value in rows)

    table(
        "Conversations per day",
        [(d.strftime("%a %Y-%m-%d"), c.text) for d, c in report.conversations_by_day],
    )
    table("Turns by kind", [(r.label, r.cell.text) for r in report.turns_by_kind])
    table("Top topics", [(r.label, r.cell.text) for r in report.topics])
    table("Not-covered themes", [(r.label, r.cell.text) for r in report.themes])
    table(
        "Medications asked about (own situation)",
        [(r.label, r.cell.text) for r in report.medications],
    )
    table(
        "Treatments asked about (own situation)",
        [(r.label, r.cell.text) for r in report.treatments],
    )
    lines.append("")
    lines.append("Crisis turns and check-ins per week (week starting)")
    for week, crisis, check_in, shown in report.crisis_by_week:
        lines.append(
            f"  {week.isoformat()}  crisis {crisis.text:>13}  check-ins {check_in.text:>13}"
            f"  resources shown {shown.text:>13}"
        )
    table(
        "Requests refused per day",
        [(d.strftime("%a %Y-%m-%d"), c.text) for d, c in report.refusals_by_day],
    )
    table("Requests refused by reason", [(r.label, r.cell.text) for r in report.refusals_by_reason])
    table("Conversations by channel", [(r.label, r.cell.text) for r in report.channels])
    table("Safety plans", [(r.label, r.cell.text) for r in report.safety_plans])
    return "\n".join(lines) + "\n"
