"""Real-style questions about the article, end to end: does each get the fitting topic's answer?

`tests/questions_realstyle.tsv` (topic, style, kind, text) holds questions written by a team member
who had not seen the training data, in three styles: `search` (1-5 words typed into a search box),
`chat` (a chat message) and `post` (a long post that tells a story and asks). Each goes through the
whole assistant as the first message of a new conversation (the REST webhook's path), and the
turn's marker says whether the person got the fitting topic's answer (an answer, or a check-in
or an advice turn that carries it). Reported per style, per topic and per kind of difficulty;
`make eval` fails when a style is below `--min-style-accuracy`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.marker import TurnMarker
from tools.evaluate_realworld import kind_of, turn_markers
from tools.near_copies import near_copies, training_examples

DEFAULT_SET = Path("tests/questions_realstyle.tsv")
DEFAULT_OUTPUT = Path("results/questions_realstyle.json")
STYLES = ("search", "chat", "post")


def read_questions(path: Path) -> List[Dict[str, str]]:
    """Rows of a TSV with a header: topic, style, kind, text."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if row.get("text")]


def fits(expected_topic: str, marker: Optional[TurnMarker]) -> bool:
    """Whether the turn carries the expected topic's answer."""
    return marker is not None and marker.topic == expected_topic


def miss_kind(marker: Optional[TurnMarker]) -> str:
    """What a question that missed its topic got: another topic's answer (alone, in a check-in
    or after an acknowledgement), or a turn of another kind (advice, not covered, fallback...)."""
    if marker is not None and marker.topic:
        return "another topic"
    return kind_of(marker)


def score(rows: List[Dict[str, str]], markers: List[Optional[TurnMarker]]) -> Dict[str, Any]:
    """Fitting-topic shares per style, topic and kind, and what the misses got instead."""
    groups: Dict[str, Dict[str, Counter]] = {
        "style": defaultdict(Counter),
        "topic": defaultdict(Counter),
        "kind": defaultdict(Counter),
    }
    instead: Counter = Counter()
    for row, marker in zip(rows, markers, strict=True):
        hit = fits(row["topic"], marker)
        for group, counts in groups.items():
            counts[row[group]]["n"] += 1
            counts[row[group]]["fit"] += hit
        if not hit:
            instead[miss_kind(marker)] += 1
    result: Dict[str, Any] = {
        group: {
            key: {"n": c["n"], "fit": c["fit"], "rate": c["fit"] / c["n"]}
            for key, c in sorted(counts.items())
        }
        for group, counts in groups.items()
    }
    total = sum(1 for _ in rows)
    hits = sum(fits(row["topic"], marker) for row, marker in zip(rows, markers, strict=True))
    result["overall"] = {"n": total, "fit": hits, "rate": hits / total if total else 0.0}
    result["instead"] = dict(instead.most_common())
    return result


def print_report(result: Dict[str, Any]) -> None:
    overall = result["overall"]
    share = f"{100 * overall['rate']:5.1f}% ({overall['fit']}/{overall['n']})"
    print(f"  fitting topic, all styles  {share}")
    for group in ("style", "kind", "topic"):
        print(f"  by {group}:")
        for key, share in result[group].items():
            print(f"    {key:32} {100 * share['rate']:5.1f}% ({share['fit']}/{share['n']})")
    print("  the misses got: " + ", ".join(f"{k} {v}" for k, v in result["instead"].items()))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"))
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--min-style-accuracy", type=float, default=0.0)
    parser.add_argument(
        "--show-misses", action="store_true", help="print the questions that missed"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    from bot.settings import load_settings

    os.environ["INSIGHTS_RECORD"] = "false"
    load_settings.cache_clear()
    rows = read_questions(args.set)
    markers = asyncio.run(turn_markers(args.model, args.endpoints, [row["text"] for row in rows]))
    # A question the training data holds (nearly) word for word measures memory, not
    # understanding: the figures that count leave those out.
    copied = {
        position
        for position, _, _ in near_copies(training_examples(), [row["text"] for row in rows], 0.6)
    }
    novel = [i for i in range(len(rows)) if i not in copied]
    result = score([rows[i] for i in novel], [markers[i] for i in novel])
    result["with_near_copies"] = score(rows, markers)["overall"]
    print(f"\n# {args.set} (real-style questions, written apart from the training data)")
    print(
        f"  {len(copied)} of {len(rows)} questions have a near-copy in the training data and are"
        f" left out (with them: {100 * result['with_near_copies']['rate']:.1f}%)"
    )
    print_report(result)
    if args.show_misses:
        for position, (row, marker) in enumerate(zip(rows, markers, strict=True)):
            if position not in copied and not fits(row["topic"], marker):
                got = kind_of(marker) + (f":{marker.topic}" if marker and marker.topic else "")
                print(
                    f"  [{row['topic']} {row['style']} {row['kind']} -> {got}] {row['text'][:200]}"
                )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    below = [
        style
        for style in STYLES
        if style in result["style"] and result["style"][style]["rate"] < args.min_style_accuracy
    ]
    if below:
        print(f"FAILED: {', '.join(below)} below {100 * args.min_style_accuracy:.0f}%")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
