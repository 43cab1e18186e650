"""Runs `rasa test` on the test stories with Rasa's fix for full retrieval names applied.

Rasa 3.6 compares `utter_faq/<topic>` in a test story correctly, but then records that full name
in the evaluation tracker, where a served conversation records `utter_faq`; the next prediction
(`action_listen`) then fails after every answer (RasaHQ/rasa#8459, fix proposed in #9657 and never
released). This records the base name, as serving does, and changes nothing else
(`bot.rasa_internals.install_story_test_patches`).

    python -m tools.story_test core --e2e --stories tests/stories --fail-on-prediction-errors ...
"""

from __future__ import annotations

import sys

from bot.rasa_internals import install_story_test_patches


def main() -> None:
    install_story_test_patches()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "test", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
