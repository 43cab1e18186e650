"""One configuration end to end: start its servers, measure readiness, latency, throughput and
memory; one server against two over Redis."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from bot import launcher
from tools.bench.figures import conversations, latency_summary, window_median
from tools.bench.load import _long_conversation, run_load
from tools.bench.paths import (
    ACTIONS_PORT,
    LONG_TURNS,
    RASA_PORT,
    RASA_PORT_2,
    REDIS_PORT,
    REDIS_SERVER,
)
from tools.bench.processes import peak_rss_mb
from tools.endpoints import write_endpoints

# The bench measures capacity, so the deployment's rate limits (a policy, README "Rate limits")
# are off: one load generator on one address would otherwise mostly measure 429s.
UNLIMITED = {"RATE_LIMIT_CONVERSATION_PER_MINUTE": "0", "RATE_LIMIT_CLIENT_PER_MINUTE": "0"}


@dataclass
class Plan:
    single_s: float = 30.0
    concurrent_s: float = 30.0
    saturation_users: int = 50
    long_turns: int = 400
    peer_long_turns: int = 400


def measure_serving(
    name: str, model: Path, plan: Plan, texts: List[str], logs: Path, scratch: Path
) -> Dict[str, Any]:
    """Start to ready, latency and throughput, long conversation, peak memory, of one model."""
    figures: Dict[str, Any] = {}
    url = f"http://localhost:{RASA_PORT}/webhooks/rest/webhook"
    endpoints = write_endpoints(scratch, ACTIONS_PORT)
    with (logs / f"serve_{name}.log").open("w") as log:
        started = time.monotonic()
        processes = launcher.start_servers(
            RASA_PORT, ACTIONS_PORT, endpoints, env=UNLIMITED, log=log, model=model
        )
        figures["ready_s"] = time.monotonic() - started
        print(f"  {name}: ready in {figures['ready_s']:.1f} s", flush=True)
        try:
            errors = 0
            run_load([url], conversations(texts, 1, 12, seed=1), 3.0, f"{name}-warm")
            one = run_load([url], conversations(texts, 1, 12, seed=2), plan.single_s, f"{name}-1")
            for key, value in latency_summary(one.latencies, one.elapsed, one.errors).items():
                figures[f"u1_{key}"] = value
            errors += one.errors
            many = run_load(
                [url], conversations(texts, 20, 12, seed=3), plan.concurrent_s, f"{name}-20"
            )
            for key, value in latency_summary(many.latencies, many.elapsed, many.errors).items():
                figures[f"u20_{key}"] = value
            errors += many.errors
            users = plan.saturation_users
            burst = run_load(
                [url], conversations(texts, users, 12, seed=4), plan.concurrent_s, f"{name}-sat"
            )
            errors += burst.errors
            figures["saturation_users"] = users
            figures["saturation_msg_per_s"] = max(
                figures["u1_msg_per_s"],
                figures["u20_msg_per_s"],
                len(burst.latencies) / burst.elapsed,
            )
            print(
                f"  {name}: 1 user p50 {figures['u1_p50_ms']:.0f} ms; 20 users p95 "
                f"{figures['u20_p95_ms']:.0f} ms, {figures['u20_msg_per_s']:.1f} msg/s",
                flush=True,
            )
            turns = plan.long_turns if name == "ours" else plan.peer_long_turns
            long = asyncio.run(_long_conversation(url, texts, turns))
            figures["long_turns"] = turns
            for turn in LONG_TURNS:
                figures[f"turn_{turn}_ms"] = 1000 * window_median(long, turn)
            print(
                f"  {name}: long conversation, turn 2 {figures['turn_2_ms']:.0f} ms, turn "
                f"{turns} {1000 * window_median(long, turns):.0f} ms",
                flush=True,
            )
            figures["errors"] = errors
            figures["actions_peak_mb"] = peak_rss_mb(processes[0].pid)
            figures["rasa_peak_mb"] = peak_rss_mb(processes[1].pid)
        finally:
            launcher.stop(processes)
    return figures


def measure_scale_out(model: Path, plan: Plan, texts: List[str], logs: Path, scratch: Path) -> Any:
    """20 users against one Rasa server, then two behind a client-side round-robin, both with
    Rasa's RedisLockStore and RedisTrackerStore on a private redis-server."""
    if not Path(REDIS_SERVER).exists():
        return {"skipped": f"{REDIS_SERVER} not installed"}
    endpoints = write_endpoints(scratch, ACTIONS_PORT, REDIS_PORT)
    redis = subprocess.Popen(
        [REDIS_SERVER, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    processes: List[subprocess.Popen] = []
    result: Dict[str, Any] = {}
    try:
        with (logs / "serve_scale_out.log").open("w") as log:
            processes = launcher.start_servers(
                RASA_PORT, ACTIONS_PORT, endpoints, env=UNLIMITED, log=log, model=model
            )
            urls = [f"http://localhost:{RASA_PORT}/webhooks/rest/webhook"]
            dialogues = conversations(texts, 20, 12, seed=5)
            run_load(urls, dialogues, 3.0, "redis-warm")
            one = run_load(urls, dialogues, plan.concurrent_s, "redis-1")
            result["one_server"] = latency_summary(one.latencies, one.elapsed, one.errors)
            second = launcher.start_rasa_server(
                RASA_PORT_2, endpoints, env=UNLIMITED, log=log, model=model
            )
            processes.append(second)
            launcher.wait_until_ready(
                f"http://localhost:{RASA_PORT_2}/webhooks/rest/", second, launcher.READY_TIMEOUT_S
            )
            urls.append(f"http://localhost:{RASA_PORT_2}/webhooks/rest/webhook")
            run_load(urls, dialogues, 3.0, "redis-warm2")
            two = run_load(urls, dialogues, plan.concurrent_s, "redis-2")
            result["two_servers"] = latency_summary(two.latencies, two.elapsed, two.errors)
    finally:
        launcher.stop(processes)
        redis.terminate()
        redis.wait()
    return result
