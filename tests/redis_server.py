"""A throwaway redis-server on loopback for the tests: no persistence, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator

import redis

# The tests' Redis port: 6390, moved by TEST_PORT_BASE as the servers' ports are (work trees
# running their suites side by side), or set outright with TEST_REDIS_PORT.
_BASE = int(os.environ.get("TEST_PORT_BASE", "5100"))
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", str(6390 + _BASE - 5100)))


def redis_binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(found):
        raise RuntimeError("redis-server is missing: run `make system-deps`")
    return found


@contextmanager
def running_redis(port: int = REDIS_PORT) -> Iterator[int]:
    try:
        redis.Redis(port=port, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pass
    else:
        # Its data would leak into these tests (an interrupted run leaves its server behind).
        raise RuntimeError(
            f"a Redis server already answers on port {port}: stop it or set TEST_REDIS_PORT"
        )
    process = subprocess.Popen(
        [
            redis_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
