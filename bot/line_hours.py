"""Whether a clinic's own crisis line is open now, from its hours as the clinic writes them.

`crisis.line_hours` is shown as written ("Mon-Fri 9:00-17:00"); when it also follows the simple
form below and `crisis.line_timezone` names the clinic's time zone, the referral turns say
whether the line is open now. Anything else is only shown, never guessed at.

    24/7
    Mon-Fri 9:00-17:00
    Mon-Fri 9:00-17:00, Sat 10:00-14:00
    Daily 8:00-20:00
    Sun 18:00-02:00          (closing after midnight: open into Monday's early hours)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALWAYS = re.compile(r"^\s*(24/7|24 hours|always)\s*$", re.IGNORECASE)
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_SPAN = re.compile(
    rf"^\s*(?:(?P<daily>daily|every day)|(?P<first>{_DAY})(?:\s*-\s*(?P<last>{_DAY}))?)"
    r"\s+(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Opening:
    """One weekday's opening: from `opens` until `closes`, which may be after midnight."""

    weekday: int  # 0 is Monday
    opens: time
    closes: time

    def contains(self, moment: datetime) -> bool:
        # This weekday's latest opening that began on or before the moment's date.
        day = moment.date() - timedelta(days=(moment.weekday() - self.weekday) % 7)
        start = datetime.combine(day, self.opens)
        end = datetime.combine(day, self.closes)
        if end <= start:  # closes after midnight
            end += timedelta(days=1)
        return start <= moment.replace(tzinfo=None) < end


@dataclass(frozen=True)
class LineHours:
    """Hours that can be read: always open, or a week of openings."""

    always: bool
    openings: Tuple[Opening, ...] = ()

    def open_at(self, moment: datetime) -> bool:
        return self.always or any(opening.contains(moment) for opening in self.openings)


def _clock(text: str) -> Optional[time]:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return time(0, minutes) if hours == 24 else time(hours, minutes)


def parse_hours(text: Optional[str]) -> Optional[LineHours]:
    """The hours in `text`, or None when they do not follow the simple form."""
    if not text:
        return None
    if _ALWAYS.match(text):
        return LineHours(always=True)
    openings: List[Opening] = []
    for part in re.split(r"[,;]", text):
        match = _SPAN.match(part)
        if not match:
            return None
        opens, closes = _clock(match["open"]), _clock(match["close"])
        whole_day = match["close"].startswith("24")  # "0:00-24:00"
        if opens is None or closes is None or (opens == closes and not whole_day):
            return None
        if match["daily"]:
            days = list(range(7))
        else:
            first = DAYS.index(match["first"][:3].lower())
            last = DAYS.index((match["last"] or match["first"])[:3].lower())
            days = [(first + step) % 7 for step in range((last - first) % 7 + 1)]
        openings.extend(Opening(day, opens, closes) for day in days)
    return LineHours(always=False, openings=tuple(openings))


def open_now(
    hours: Optional[str], zone: Optional[str], now: Optional[datetime] = None
) -> Optional[bool]:
    """True or False when the hours can be read and the time zone is known; else None."""
    parsed = parse_hours(hours)
    if parsed is None:
        return None
    if parsed.always:
        return True
    if not zone:
        return None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    moment = (now or datetime.now(tz)).astimezone(tz)
    return parsed.open_at(moment)
