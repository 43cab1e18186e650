"""Held-out NLU accuracy and crisis recall, in a child process (it loads the model with Rasa's
Agent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import yaml

from tools.bench.paths import CRISIS_SET, HELDOUT, ROOT


def _label(parse: Dict[str, Any]) -> str:
    """tools.evaluate's label; Rasa's own ResponseSelector files its answer under `default`."""
    from tools.evaluate import label_of

    intent = (parse.get("intent") or {}).get("name")
    selector = parse.get("response_selector") or {}
    if intent and intent not in selector and "default" in selector:
        parse = {**parse, "response_selector": {intent: selector["default"]}}
    return label_of(parse)


async def _accuracy(model: Path) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    from tools.evaluate import heldout_examples, report

    agent = Agent.load(get_local_model(str(model)))
    examples = heldout_examples(HELDOUT)
    predicted = [_label(await agent.parse_message(text)) for text, _ in examples]
    accuracy = report([label for _, label in examples], predicted)["accuracy"]
    crisis_set = yaml.safe_load(CRISIS_SET.read_text(encoding="utf-8"))
    rates = {}
    for side in ("crisis", "non_crisis"):
        texts = [text for group in crisis_set[side].values() for text in group]
        hits = 0
        for text in texts:
            parse = await agent.parse_message(text)
            hits += (parse.get("intent") or {}).get("name") == "crisis"
        rates[side] = hits / len(texts)
    return {
        "accuracy_pct": 100 * accuracy,
        "crisis_recall_pct": 100 * rates["crisis"],
        "crisis_fpr_pct": 100 * rates["non_crisis"],
    }


def measure_accuracy(model: Path, logs: Path, name: str) -> Dict[str, Any]:
    output = logs / f"accuracy_{name}.json"
    with (logs / f"accuracy_{name}.log").open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "tools.bench", "accuracy", str(model), str(output)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return dict(json.loads(output.read_text()))
