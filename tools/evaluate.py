"""`make eval`: the trained model against the held-out NLU file, per topic and per turn kind.

Prints accuracy, per-label precision and recall, and every confusion between labels, writes the
figures to `results/nlu_heldout.json`, and exits non-zero below the accuracy floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa.nlu.constants import RESPONSE_SELECTOR_PREDICTION_KEY, RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data

DEFAULT_MODEL = Path("models")
DEFAULT_HELDOUT = Path("tests/nlu_heldout.yml")
DEFAULT_OUTPUT = Path("results/nlu_heldout.json")
FALLBACK_LABEL = "nlu_fallback"
CHECK_IN_INTENT = "check_in"


def label_of(parse: Dict[str, Any]) -> str:
    """The full label a parse result stands for: `faq/<topic>` for answers, else the intent.
    A check-in is scored by what it answers (the best guess below it), as its turn does."""
    intent = (parse.get("intent") or {}).get("name") or FALLBACK_LABEL
    if intent == CHECK_IN_INTENT:
        below = [
            str(entry.get("name"))
            for entry in parse.get("intent_ranking") or []
            if entry.get("name") not in (CHECK_IN_INTENT, "crisis")
        ]
        return below[0] if below else "personal_advice"
    selector = (parse.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(intent)
    if selector:
        return str(selector[RESPONSE_SELECTOR_PREDICTION_KEY][INTENT_RESPONSE_KEY])
    return str(intent)


def heldout_examples(path: Path) -> List[Tuple[str, str]]:
    data = load_data(str(path))
    return [
        (str(m.get(TEXT)), str(m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)))
        for m in data.intent_examples
    ]


async def predict(model_path: Path, texts: List[str]) -> List[str]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    agent = Agent.load(get_local_model(str(model_path)))
    return [label_of(await agent.parse_message(text)) for text in texts]


def report(gold: List[str], predicted: List[str]) -> Dict[str, Any]:
    labels = sorted(set(gold) | set(predicted))
    pairs = Counter(zip(gold, predicted, strict=False))
    per_label = {}
    for label in labels:
        true_positive = pairs[(label, label)]
        predicted_count = sum(1 for p in predicted if p == label)
        support = sum(1 for g in gold if g == label)
        per_label[label] = {
            "precision": true_positive / predicted_count if predicted_count else 0.0,
            "recall": true_positive / support if support else 0.0,
            "support": support,
        }
    confusions = sorted(
        ((g, p, n) for (g, p), n in pairs.items() if g != p), key=lambda item: -item[2]
    )
    correct = sum(n for (g, p), n in pairs.items() if g == p)
    return {
        "examples": len(gold),
        "accuracy": correct / len(gold) if gold else 0.0,
        "per_label": per_label,
        "confusions": [{"gold": g, "predicted": p, "count": n} for g, p, n in confusions],
    }


def print_report(result: Dict[str, Any]) -> None:
    print(f"{'label':34} {'precision':>9} {'recall':>7} {'n':>4}")
    for label, figures in result["per_label"].items():
        print(
            f"{label:34} {figures['precision']:9.2f} {figures['recall']:7.2f} "
            f"{figures['support']:4d}"
        )
    print("\nconfusions (gold -> predicted: count)")
    for item in result["confusions"] or [{"gold": "none", "predicted": "none", "count": 0}]:
        print(f"  {item['gold']} -> {item['predicted']}: {item['count']}")
    print("\nmisclassified held-out examples")
    for error in result.get("errors", []):
        print(f"  [{error['gold']} -> {error['predicted']}] {error['text']}")
    print(f"\naccuracy {result['accuracy']:.3f} on {result['examples']} held-out examples")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--min-accuracy", type=float, default=0.90)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    examples = heldout_examples(args.heldout)
    texts, gold = [text for text, _ in examples], [label for _, label in examples]
    predicted = asyncio.run(predict(args.model, texts))
    result = report(gold, predicted)
    result["errors"] = [
        {"text": text, "gold": g, "predicted": p}
        for text, g, p in zip(texts, gold, predicted, strict=False)
        if g != p
    ]
    print_report(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if result["accuracy"] < args.min_accuracy:
        print(f"FAILED: accuracy below {args.min_accuracy:.2f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
