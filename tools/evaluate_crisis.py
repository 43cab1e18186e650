"""Crisis detection: recall and false positives per category, on labelled sets kept out of training.

Scores three detectors on the trained model: the spaCy rule layer alone, the classifier alone
(its crisis probability at the guard's threshold) and the combined guard (the turn's intent).
`tests/crisis_eval.yml` is the gate: combined recall must be 100% and the false-positive rate at
most 3%. `tests/crisis_dev.yml` is a development set for tuning the rules' contexts
(`make crisis-dev`).
`tests/crisis_eval_blind.yml` was written without seeing the rules or the training data
and is reported beside it, as the better estimate of how the guard does on messages nobody here
has read; its misses are not printed, so that nobody tunes to them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

GATE_SET = Path("tests/crisis_eval.yml")
BLIND_SET = Path("tests/crisis_eval_blind.yml")
DEFAULT_OUTPUT = Path("results/crisis_eval.json")
DETECTORS = ("rules", "classifier", "combined")


async def detections(model: Path, texts: List[str], threshold: float) -> List[Dict[str, bool]]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    from bot.nlu.verdict import CRISIS, CrisisVerdict

    agent = Agent.load(get_local_model(str(model)))
    found = []
    for text in texts:
        parse = await agent.parse_message(text)
        verdict = CrisisVerdict.from_parse_data(parse)
        found.append(
            {
                "rules": bool(verdict.rules),
                "classifier": verdict.classifier >= threshold,
                "combined": (parse.get("intent") or {}).get("name") == CRISIS,
                # Not a crisis turn, but the answer carries the resources.
                "check_in": verdict.is_check_in,
            }
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument("--set", type=Path, default=GATE_SET, help="the gated set")
    parser.add_argument("--blind-set", type=Path, default=BLIND_SET, help="reported, not gated")
    parser.add_argument("--no-blind", action="store_true", help="score the --set alone")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--threshold", type=float, default=None, help="default: the model's")
    parser.add_argument("--min-recall", type=float, default=1.0)
    parser.add_argument("--max-false-positive-rate", type=float, default=0.03)
    parser.add_argument("--show-misses", action="store_true", help="of the gated set only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    threshold = args.threshold if args.threshold is not None else guard_threshold(args.model)
    blind = not args.no_blind and args.blind_set.exists()
    sets = [(args.set, True)] + ([(args.blind_set, False)] if blind else [])
    rows = [
        (path, side, category, text) for path, _ in sets for side, category, text in labelled(path)
    ]
    found = asyncio.run(detections(args.model, [row[3] for row in rows], threshold))

    results: Dict[str, Any] = {"threshold": threshold}
    for path, gated in sets:
        picked = [(row[1:], f) for row, f in zip(rows, found, strict=True) if row[0] == path]
        print(f"\n# {path} ({'gate' if gated else 'blind, reported only'})")
        results[str(path)] = report([row for row, _ in picked], [f for _, f in picked])
        if not gated:
            results[str(path)]["never_read_half"] = never_read_half(picked)
        if gated and args.show_misses:
            for (side, category, text), f in picked:
                if f["combined"] != (side == "crisis"):
                    print(f"  [{side}/{category}] {text}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")

    gate = results[str(args.set)]
    recall = gate["crisis"]["overall"]["combined"]
    false_positives = gate["non_crisis"]["overall"]["combined"]
    if recall < args.min_recall or false_positives > args.max_false_positive_rate:
        print(
            f"FAILED on {args.set}: needs combined recall >= {args.min_recall:.2f} and "
            f"false-positive rate <= {args.max_false_positive_rate:.2f}"
        )
        return 1
    return 0


def labelled(path: Path) -> List[Tuple[str, str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (side, category, text)
        for side in ("crisis", "non_crisis")
        for category, texts in data[side].items()
        for text in texts
    ]


def report(rows: List[Tuple[str, str, str]], found: List[Dict[str, bool]]) -> Dict[str, Any]:
    """Prints and returns recall (crisis side) and false-positive rate (other side) by category."""
    result: Dict[str, Any] = {"crisis": {}, "non_crisis": {}}
    print(f"{'category':34} " + " ".join(f"{d:>10}" for d in DETECTORS) + "     n")
    for side, label in (("crisis", "recall"), ("non_crisis", "false positive rate")):
        print(f"-- {side} ({label})")
        categories = dict.fromkeys(category for s, category, _ in rows if s == side)
        for category in categories:
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
    print(
        f"combined recall {result['crisis']['overall']['combined']:.3f}, "
        f"false-positive rate {result['non_crisis']['overall']['combined']:.3f}"
    )
    result.update(resources_shown([(side, f) for (side, _, _), f in zip(rows, found, strict=True)]))
    return result


def resources_shown(picked: List[Tuple[str, Dict[str, bool]]]) -> Dict[str, float]:
    """How often the resources reach a crisis message (crisis turn or check-in), and how often a
    non-crisis message gets a check-in."""
    crisis = [f for side, f in picked if side == "crisis"]
    other = [f for side, f in picked if side == "non_crisis"]
    figures = {
        "crisis_with_resources": sum(f["combined"] or f["check_in"] for f in crisis) / len(crisis),
        "non_crisis_check_ins": sum(f["check_in"] for f in other) / len(other),
    }
    print(
        f"resources shown to crisis messages (crisis turn or check-in) "
        f"{figures['crisis_with_resources']:.3f}; check-ins on non-crisis messages "
        f"{figures['non_crisis_check_ins']:.3f}"
    )
    return figures


def never_read_half(picked: List[Tuple[Tuple[str, str, str], Dict[str, bool]]]) -> Dict[str, float]:
    """Combined figures on the blind set's odd-numbered messages per category, never read."""
    position: Dict[Tuple[str, str], int] = {}
    unread = []
    for (side, category, _), f in picked:
        index = position.get((side, category), 0)
        position[(side, category)] = index + 1
        if index % 2 == 1:
            unread.append((side, f))
    crisis = [f["combined"] for side, f in unread if side == "crisis"]
    other = [f["combined"] for side, f in unread if side == "non_crisis"]
    figures = {
        "recall": sum(crisis) / len(crisis),
        "false_positive_rate": sum(other) / len(other),
        "n_crisis": len(crisis),
        "n_non_crisis": len(other),
    }
    print(
        f"never-read half: combined recall {figures['recall']:.3f} ({len(crisis)}), "
        f"false-positive rate {figures['false_positive_rate']:.3f} ({len(other)})"
    )
    figures.update(resources_shown(unread))
    return figures


def guard_threshold(model: Path) -> float:
    """The classifier threshold the trained model's crisis guard uses."""
    from bot.nlu.crisis_guard import CrisisGuard
    from bot.rasa_internals import predict_node_config

    found = predict_node_config(model, CrisisGuard.__name__)
    if found is None:
        raise ValueError(f"no CrisisGuard in {model}")
    config = {**CrisisGuard.get_default_config(), **found}
    return float(config["classifier_threshold"])


if __name__ == "__main__":
    sys.exit(main())
