"""Crisis detection against `tests/crisis_eval.yml`: recall and false positives per category.

Scores three detectors on the trained model: the spaCy rule layer alone, the classifier alone
(its crisis probability at the guard's threshold) and the combined guard (the turn's intent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

DEFAULT_SET = Path("tests/crisis_eval.yml")
DEFAULT_OUTPUT = Path("results/crisis_eval.json")
DETECTORS = ("rules", "classifier", "combined")


async def detections(model: Path, texts: List[str], threshold: float) -> List[Dict[str, bool]]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    agent = Agent.load(get_local_model(str(model)))
    found = []
    for text in texts:
        parse = await agent.parse_message(text)
        crisis = parse.get("crisis") or {}
        found.append(
            {
                "rules": bool(crisis.get("rules")),
                "classifier": float(crisis.get("classifier") or 0.0) >= threshold,
                "combined": (parse.get("intent") or {}).get("name") == "crisis",
            }
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--threshold", type=float, default=0.25)
    parser.add_argument("--min-recall", type=float, default=1.0)
    parser.add_argument("--max-false-positive-rate", type=float, default=0.03)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    data = yaml.safe_load(args.set.read_text(encoding="utf-8"))
    rows = [
        (side, category, text)
        for side in ("crisis", "non_crisis")
        for category, texts in data[side].items()
        for text in texts
    ]
    found = asyncio.run(detections(args.model, [text for _, _, text in rows], args.threshold))

    result: Dict[str, Any] = {"crisis": {}, "non_crisis": {}}
    print(f"{'category':34} " + " ".join(f"{d:>10}" for d in DETECTORS) + "     n")
    for side, label in (("crisis", "recall"), ("non_crisis", "false positive rate")):
        print(f"-- {side} ({label})")
        for category in data[side]:
            picked = [
                f for (s, c, _), f in zip(rows, found, strict=True) if s == side and c == category
            ]
            rates = {d: sum(f[d] for f in picked) / len(picked) for d in DETECTORS}
            result[side][category] = {**rates, "n": len(picked)}
            print(
                f"{category:34} "
                + " ".join(f"{rates[d]:10.3f}" for d in DETECTORS)
                + f" {len(picked):5d}"
            )
        every = [f for (s, _, _), f in zip(rows, found, strict=True) if s == side]
        overall = {d: sum(f[d] for f in every) / len(every) for d in DETECTORS}
        result[side]["overall"] = {**overall, "n": len(every)}
        print(f"{'overall':34} " + " ".join(f"{overall[d]:10.3f}" for d in DETECTORS))
    if args.show_misses:
        for (side, category, text), f in zip(rows, found, strict=True):
            if f["combined"] != (side == "crisis"):
                print(f"  [{side}/{category}] {text}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")

    recall = result["crisis"]["overall"]["combined"]
    false_positives = result["non_crisis"]["overall"]["combined"]
    print(f"\ncombined recall {recall:.3f}, false-positive rate {false_positives:.3f}")
    if recall < args.min_recall or false_positives > args.max_false_positive_rate:
        print(
            f"FAILED: needs recall >= {args.min_recall:.2f} and "
            f"false-positive rate <= {args.max_false_positive_rate:.2f}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
