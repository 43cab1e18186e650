"""`make insights`: last week's insights table (the seven days that end today) in a terminal.

python -m bot.insights                              # the last seven days
python -m bot.insights --from 2026-11-01 --to 2026-11-30
python -m bot.insights --csv > insights.csv         # the same aggregates as the page's CSV
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import List, Optional

from bot.insights.report import build_report, last_week, to_csv, to_text, today_in
from bot.insights.store import create_tables, engine_for
from bot.settings import load_settings


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--from", dest="start", type=date.fromisoformat)
    parser.add_argument("--to", dest="end", type=date.fromisoformat)
    parser.add_argument("--csv", action="store_true", help="CSV instead of a table")
    args = parser.parse_args(argv)
    settings = load_settings()
    start, end = last_week(today_in(settings.insights_timezone))
    start, end = args.start or start, args.end or end
    engine = engine_for(settings.insights_db_url)
    try:
        create_tables(engine)
        report = build_report(engine, start, end, settings.insights_timezone)
    except Exception as error:  # noqa: BLE001 - say what failed, not the URL (a password)
        print(f"The insights database could not be read ({type(error).__name__}).", file=sys.stderr)
        return 1
    sys.stdout.write(to_csv(report) if args.csv else to_text(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
