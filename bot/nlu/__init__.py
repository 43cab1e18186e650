"""The project's Rasa NLU components."""

# Registers the `crisis_matcher` spaCy factory before Rasa's SpacyNLP loads the pipeline.
import bot.nlu.spacy_pipeline  # noqa: F401
