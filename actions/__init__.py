"""The action server's custom actions (run with `rasa run actions --actions actions`)."""
