"""Builds the project's own spaCy pipeline that Rasa's SpacyNLP loads by path.

spaCy's pretrained models are not reachable from where this runs, so the pipeline is a blank
English tokenizer plus the lookup lemmatizer from `spacy-lookups-data`, written to `build/`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import spacy
from spacy.language import Language

PIPELINE_NAME = "en_mindwork"
DEFAULT_OUTPUT = Path("build") / "spacy" / PIPELINE_NAME


def build_pipeline() -> Language:
    """Returns the blank English pipeline with a lookup lemmatizer, initialised."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank English with lookup lemmas, built by bot.spacy_pipeline"
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
