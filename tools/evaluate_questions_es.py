"""The held-out Spanish questions through the trained model: does each get its topic?

`tests/questions_es.tsv` (topic, style, text) holds Spanish questions about the article in three
styles (`search`, `chat`, `post`), kept apart from the Spanish training examples
(`bot/nlu/spanish/`; `tests/unit/test_spanish_topics.py` checks no example is a near copy). Each
is parsed by the trained model, and the label the turn answers with (`answered_label`: the topic
of an answer, or the one a check-in carries) is compared with `faq/<topic>`. Reported per style
and overall, with the share detected as Spanish and what the misses got; `--min-accuracy` fails
the run below it.

With `--same-as OTHER_MODEL`, the first `--english` questions of
`tests/questions_realstyle.tsv` are parsed by both models and must get the same intent and
answered label: the Spanish component leaves English alone.

    python -m tools.evaluate_questions_es --model models/current.tar.gz [--min-accuracy 0.9]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bot.nlu.answered_topic import answered_label

DEFAULT_SET = Path("tests/questions_es.tsv")
ENGLISH_SET = Path("tests/questions_realstyle.tsv")
DEFAULT_OUTPUT = Path("results/questions_es.json")
STYLES = ("search", "chat", "post")


def read_rows(path: Path) -> List[Dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if row.get("text")]


async def parse_all(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    agent = Agent.load(get_local_model(str(model)))
    return [await agent.parse_message(text) for text in texts]


def got(parse: Mapping[str, Any]) -> str:
    """What a turn answers with: a topic's label, or the intent."""
    return answered_label(parse) or "none"


def score(rows: Sequence[Mapping[str, str]], parses: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    styles: Dict[str, Counter] = defaultdict(Counter)
    instead: Counter = Counter()
    spanish = 0
    for row, parse in zip(rows, parses, strict=True):
        hit = got(parse) == f"faq/{row['topic']}"
        styles[row["style"]]["n"] += 1
        styles[row["style"]]["fit"] += hit
        spanish += parse.get("language") == "es"
        if not hit:
            label = got(parse)
            instead["another topic" if label.startswith("faq/") else label] += 1
    total = len(rows)
    hits = sum(counts["fit"] for counts in styles.values())
    return {
        "style": {
            style: {"n": c["n"], "fit": c["fit"], "rate": c["fit"] / c["n"]}
            for style, c in sorted(styles.items())
        },
        "overall": {"n": total, "fit": hits, "rate": hits / total if total else 0.0},
        "detected_spanish": spanish,
        "instead": dict(instead.most_common()),
    }


def print_report(result: Mapping[str, Any]) -> None:
    overall = result["overall"]
    share = f"{100 * overall['rate']:5.1f}% ({overall['fit']}/{overall['n']})"
    print(f"  fitting topic, all styles  {share}")
    for style, share in result["style"].items():
        print(f"    {style:8} {100 * share['rate']:5.1f}% ({share['fit']}/{share['n']})")
    print(f"  detected as Spanish: {result['detected_spanish']}/{overall['n']}")
    print("  the misses got: " + ", ".join(f"{k} {v}" for k, v in result["instead"].items()))


def english_differences(
    mine: Sequence[Mapping[str, Any]], theirs: Sequence[Mapping[str, Any]]
) -> List[Tuple[int, str, str]]:
    """(position, this model's, the other's) for every question whose intent or answered label
    differs."""

    def key(parse: Mapping[str, Any]) -> str:
        return f"{(parse.get('intent') or {}).get('name')} {got(parse)}"

    return [
        (i, key(a), key(b))
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True))
        if key(a) != key(b)
    ]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--same-as", type=Path, help="another model English must agree with")
    parser.add_argument("--english", type=int, default=20)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    rows = read_rows(args.set)
    parses = asyncio.run(parse_all(args.model, [row["text"] for row in rows]))
    result = score(rows, parses)
    print(f"\n# {args.set} (held-out Spanish questions)")
    print_report(result)
    if args.show_misses:
        for row, parse in zip(rows, parses, strict=True):
            if got(parse) != f"faq/{row['topic']}":
                print(f"  [{row['topic']} {row['style']} -> {got(parse)}] {row['text'][:160]}")
    failed = result["overall"]["rate"] < args.min_accuracy
    if args.same_as:
        english = [row["text"] for row in read_rows(ENGLISH_SET)][: args.english]
        mine = asyncio.run(parse_all(args.model, english))
        theirs = asyncio.run(parse_all(args.same_as, english))
        differences = english_differences(mine, theirs)
        result["english_same"] = {"n": len(english), "different": len(differences)}
        print(
            f"  English ({ENGLISH_SET}, first {len(english)}): "
            f"{len(english) - len(differences)} the same as {args.same_as}"
        )
        for position, a, b in differences:
            print(f"    #{position}: {a} here, {b} there")
        failed = failed or bool(differences)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if failed:
        print(f"FAILED: below {100 * args.min_accuracy:.0f}% or English changed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
