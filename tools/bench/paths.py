"""Where the bench's inputs, outputs and servers are."""

from __future__ import annotations

from pathlib import Path

from bot import launcher

ROOT = launcher.ROOT


PEER_CONFIG = Path(__file__).with_name("peer_config.yml")


PEER_DIR = ROOT / "models" / "peer"


PEER_MODEL = PEER_DIR / "peer.tar.gz"


PEER_RECORD = PEER_DIR / "peer.json"


PEER_INPUTS = ("domain.yml", "data")


RESULTS = ROOT / "results"


HELDOUT = ROOT / "tests" / "nlu_heldout.yml"


CRISIS_SET = ROOT / "tests" / "crisis_eval.yml"


# Ports of the bench's own servers (5300-5399 belong to this work tree).
RASA_PORT, RASA_PORT_2, ACTIONS_PORT, REDIS_PORT = 5310, 5311, 5360, 6391


REDIS_SERVER = "/usr/bin/redis-server"


LONG_TURNS = (2, 100, 200, 400)
