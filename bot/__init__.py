"""The project's own Python: NLU components, channels, settings and the launcher."""
