"""Builds the project's own spaCy pipeline that Rasa's SpacyNLP loads by path.

spaCy's pretrained models are not reachable from where this runs, so the pipeline is a blank
English tokenizer, the lookup lemmatizer from `spacy-lookups-data`, and the project's rule-based
crisis matcher compiled from `bot/spacy_rules/crisis.yml`, written to `build/`.
"""

# No `from __future__ import annotations`: spaCy validates factory signatures at runtime.
import argparse
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple, cast

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

PIPELINE_NAME = "en_mindwork"
DEFAULT_OUTPUT = Path("build") / "spacy" / PIPELINE_NAME
CRISIS_RULES = Path(__file__).with_name("spacy_rules") / "crisis.yml"
CRISIS_SPANS = "crisis"
MAX_GAP = 8

TokenPattern = List[Dict[str, Any]]


def compile_pattern(pattern: str, lemma_of: Any) -> TokenPattern:
    """Turns one line of the rule syntax (see crisis.yml) into a spaCy Matcher pattern."""
    tokens: TokenPattern = []
    for part in pattern.split():
        if part.startswith("~"):
            gap = int(part[1:])
            if not 0 < gap <= MAX_GAP:
                raise ValueError(f"gap {part} out of range in {pattern!r}")
            tokens.extend({"OP": "?"} for _ in range(gap))
        elif part == "<num>":
            tokens.append({"LIKE_NUM": True})
        else:
            exact = {word[1:] for word in part.split("|") if word.startswith("=")}
            words = {word for word in part.split("|") if not word.startswith("=")}
            if exact and words:
                raise ValueError(f"mixing =exact and lemma forms in {part!r} of {pattern!r}")
            if exact:
                tokens.append({"LOWER": {"IN": sorted(exact)}})
            else:
                forms = words | {lemma_of(word) for word in words}
                tokens.append({"LEMMA": {"IN": sorted(forms)}})
    if not tokens or "OP" in tokens[0] or "OP" in tokens[-1]:
        raise ValueError(f"a pattern must start and end with a word: {pattern!r}")
    return tokens


class CrisisMatcher:
    """Marks spans of crisis language in `doc.spans["crisis"]`, labelled by category."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self._vocab = nlp.vocab
        self._lemmas: Dict[str, str] = {}
        self.rules: Dict[str, Any] = {"categories": {}, "not_crisis": []}
        self._matcher = Matcher(nlp.vocab)

    def set_lemmas(self, table: Dict[str, str]) -> None:
        self._lemmas = table

    def add_rules(self, rules: Dict[str, Any]) -> None:
        """Compiles the rules; raises on a malformed pattern, so a bad rule file fails the build."""
        matcher = Matcher(self._vocab)
        lemma_of = self._lemma_of
        for category, patterns in rules["categories"].items():
            matcher.add(category, [compile_pattern(p, lemma_of) for p in patterns])
        matcher.add("not_crisis", [compile_pattern(p, lemma_of) for p in rules["not_crisis"]])
        self.rules = rules
        self._matcher = matcher

    def _lemma_of(self, word: str) -> str:
        return self._lemmas.get(word, word)

    def __call__(self, doc: Doc) -> Doc:
        crisis: List[Span] = []
        excluded: List[Tuple[int, int]] = []
        for match_id, start, end in self._matcher(doc):
            label = self._vocab.strings[match_id]
            if label == "not_crisis":
                excluded.append((start, end))
            else:
                crisis.append(Span(doc, start, end, label=label))
        doc.spans[CRISIS_SPANS] = filter_spans(
            span
            for span in crisis
            if not any(start < span.end and span.start < end for start, end in excluded)
        )
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "rules.json").write_text(json.dumps(self.rules), encoding="utf-8")
        (path / "lemmas.json").write_text(json.dumps(self._lemmas), encoding="utf-8")

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "CrisisMatcher":
        path = Path(path)
        self._lemmas = json.loads((path / "lemmas.json").read_text(encoding="utf-8"))
        self.add_rules(json.loads((path / "rules.json").read_text(encoding="utf-8")))
        return self


@Language.factory("crisis_matcher")
def create_crisis_matcher(nlp: Language, name: str) -> CrisisMatcher:
    return CrisisMatcher(nlp, name)


def build_pipeline(rules_path: Path = CRISIS_RULES) -> Language:
    """Returns the blank English pipeline with a lookup lemmatizer and the crisis matcher."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    matcher = cast(CrisisMatcher, nlp.add_pipe("crisis_matcher"))
    nlp.initialize()
    lookup = cast(Lemmatizer, nlp.get_pipe("lemmatizer")).lookups.get_table("lemma_lookup")
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    words = {
        word.lstrip("=")
        for patterns in [*rules["categories"].values(), rules["not_crisis"]]
        for pattern in patterns
        for part in pattern.split()
        for word in part.split("|")
    }
    matcher.set_lemmas({word: lookup[word] for word in words if word in lookup})
    matcher.add_rules(rules)
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English, lookup lemmas, crisis rules; built by bot.spacy_pipeline"
    )
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    nlp = build_pipeline()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.output)
    print(f"spaCy pipeline written to {args.output}")


if __name__ == "__main__":
    main()
