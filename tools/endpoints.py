"""The endpoints file of a server the tests, the bench or the profiler start: the deployment's
own (`endpoints.yml`, or `endpoints.redis.yml` with a Redis port), pointed at their ports."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml

from bot.launcher import ROOT


def write_endpoints(directory: Path, actions_port: int, redis_port: Optional[int] = None) -> Path:
    """Writes the endpoints for an action server on `actions_port` (and, with `redis_port`, the
    Redis tracker and lock stores on that loopback port) into `directory`; returns the file."""
    name = "endpoints.redis.yml" if redis_port is not None else "endpoints.yml"
    endpoints = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://localhost:{actions_port}/webhook"
    if redis_port is not None:
        for store in ("tracker_store", "lock_store"):
            endpoints[store].update({"url": "127.0.0.1", "port": redis_port, "password": None})
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path
