"""Training examples that are near-copies of evaluation messages (they would flatter the figures).

Compares every training example in `data/nlu/` with every message of the evaluation sets by the
Jaccard overlap of their word sets, at `--threshold` (0.6) for the team's own sets and
`--real-threshold` (0.5) for the real-messages sets when present; short queries count only with
the same words. It reports; the evaluations leave near-copies out of the figures that count
(`tools/evaluate_questions.py`), and the tests keep exact copies out of the real-style sets. The
pairs are printed only with `--show` (a developer's terminal): real messages stay outside the
repository.

    python -m tools.near_copies [--show]
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

TRAINING = Path("data/nlu")
TEAM_SETS = (
    Path("tests/nlu_heldout.yml"),
    Path("tests/nlu_heldout_intake.yml"),
    Path("tests/crisis_eval.yml"),
    Path("tests/crisis_eval_blind.yml"),
    Path("tests/crisis_dev.yml"),
    Path("tests/questions_realstyle.tsv"),
    Path("tests/posts_realstyle.tsv"),
)
REAL_SETS = (Path("../shared/realworld/dev.tsv"), Path("../shared/realworld/dev_b.tsv"))
_WORD = re.compile(r"[a-z0-9']+")
# At most this many words: a short query (see `near_copies`).
SHORT_WORDS = 6


def words(text: str) -> Set[str]:
    return set(_WORD.findall(text.lower()))


def _yaml_examples(path: Path) -> List[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: List[str] = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(line[2:])
    # The crisis sets keep their messages under categories: any list of strings counts.
    for value in data.values():
        if isinstance(value, dict):
            for messages in value.values():
                if isinstance(messages, list):
                    texts.extend(str(m) for m in messages if isinstance(m, str))
    return texts


def messages_of(path: Path) -> List[str]:
    """The texts of a training or evaluation file (Rasa NLU YAML, a crisis set, or a TSV)."""
    if path.suffix == ".tsv":
        with path.open(encoding="utf-8", newline="") as handle:
            return [
                row["text"] for row in csv.DictReader(handle, delimiter="\t") if row.get("text")
            ]
    return _yaml_examples(path)


def training_examples(directory: Path = TRAINING) -> List[str]:
    return [text for path in sorted(directory.glob("*.yml")) for text in messages_of(path)]


def near_copies(
    training: Sequence[str], evaluation: Sequence[str], threshold: float
) -> List[Tuple[int, int, float]]:
    """(evaluation index, training index, overlap) for each pair at `threshold` or more."""
    train_words = [words(text) for text in training]
    index: Dict[str, List[int]] = defaultdict(list)
    for position, found in enumerate(train_words):
        for word in found:
            index[word].append(position)
    pairs = []
    for position, text in enumerate(evaluation):
        found = words(text)
        if not found:
            continue
        shared: Dict[int, int] = defaultdict(int)
        for word in found:
            for candidate in index.get(word, ()):
                shared[candidate] += 1
        for candidate, count in shared.items():
            overlap = count / len(found | train_words[candidate])
            # Short queries share most of their few words by nature ("ketamine for depression?"
            # and "ketamine for depression explained"): only the same words count as a copy.
            needed = (
                1.0 if min(len(found), len(train_words[candidate])) <= SHORT_WORDS else threshold
            )
            if overlap >= needed:
                pairs.append((position, candidate, overlap))
    return pairs


def report(
    sets: Iterable[Path], training: Sequence[str], threshold: float, show: bool
) -> Dict[Path, int]:
    counts: Dict[Path, int] = {}
    for path in sets:
        if not path.exists():
            continue
        evaluation = messages_of(path)
        pairs = near_copies(training, evaluation, threshold)
        counts[path] = len({position for position, _, _ in pairs})
        print(
            f"  {path}: {counts[path]} of {len(evaluation)} messages have a near-copy in training"
        )
        if show:
            for position, candidate, overlap in pairs:
                print(f"    {overlap:.2f}  eval: {evaluation[position][:120]}")
                print(f"          train: {training[candidate][:120]}")
    return counts


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--real-threshold", type=float, default=0.5)
    parser.add_argument(
        "--show", action="store_true", help="print the pairs (a developer's terminal)"
    )
    args = parser.parse_args(argv)
    training = training_examples()
    print(f"Near-copies of evaluation messages among {len(training)} training examples:")
    report(TEAM_SETS, training, args.threshold, args.show)
    report(REAL_SETS, training, args.real_threshold, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
