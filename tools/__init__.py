"""Tools that never run in production: evaluation, benchmarks, profiling, the story test runner.

What a tool prints is for a person: its figures, not the deprecation warnings Rasa's libraries
give about their own future, which `bot.quiet_rasa` drops here as the launcher does for the
servers. `VERBOSE=1` (as in `make eval VERBOSE=1`) keeps them.
"""

import os

from bot import quiet_rasa

if os.environ.get("VERBOSE", "").strip() in ("", "0"):
    quiet_rasa.install()
