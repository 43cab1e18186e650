"""`make bench`: speed and size of this assistant against Rasa's default configuration.

One run measures, for the project's model ("ours") and for the peer (Rasa 3.6's default
configuration, `bench/peer_config.yml`, trained on this project's data and domain):
training time from scratch and with nothing changed, time from start to ready, HTTP latency
(p50/p95/p99) for 1 and 20 concurrent users, throughput at saturation, peak memory of the Rasa
server and of the action server, held-out NLU accuracy and crisis recall; the latency of turns
2/100/200/400 of one long conversation; and one Rasa server against two behind a client-side
round-robin sharing a Redis lock store and tracker store. Writes `results/bench.json` and
`results/bench.md`. Message text is never printed or written, only labels and figures.

python -m bot.bench                 # everything (the peer model is trained once, then cached)
python -m bot.bench --quick         # shorter load phases, for a smoke run
python -m bot.bench insights        # only what recording clinic insights adds to a turn
python -m bot.bench accuracy MODEL  # internal: held-out accuracy and crisis recall as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bot import launcher

ROOT = launcher.ROOT
PEER_CONFIG = ROOT / "bench" / "peer_config.yml"
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

# ------------------------------------------------------------------------------------------------
# pure helpers (unit-tested in tests/test_bench.py)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_s: Sequence[float], elapsed_s: float, errors: int) -> Dict[str, Any]:
    return {
        "messages": len(latencies_s),
        "errors": errors,
        "p50_ms": 1000 * percentile(latencies_s, 50),
        "p95_ms": 1000 * percentile(latencies_s, 95),
        "p99_ms": 1000 * percentile(latencies_s, 99),
        "msg_per_s": len(latencies_s) / elapsed_s if elapsed_s > 0 else float("nan"),
    }


def window_median(latencies_s: Sequence[float], turn: int, half_width: int = 2) -> float:
    """The median latency of the turns within `half_width` of `turn` (1-based), clipped."""
    if turn > len(latencies_s):
        return float("nan")
    low = max(1, turn - half_width)
    high = min(len(latencies_s), turn + half_width)
    return percentile(latencies_s[low - 1 : high], 50)


def ratio(ours: Optional[float], peer: Optional[float]) -> str:
    """`ours / peer` as text, e.g. `0.12x`; `-` when either is missing or the peer is zero."""
    if ours is None or peer is None or peer != peer or ours != ours or peer == 0:
        return "-"
    return f"{ours / peer:.2f}x"


def fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        text = f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


# (label, key in a figures dict, unit, True when lower is better)
ROWS: Tuple[Tuple[str, str, str, bool], ...] = (
    ("training from scratch", "train_scratch_s", "s", True),
    ("training, nothing changed", "train_unchanged_s", "s", True),
    ("start to ready", "ready_s", "s", True),
    ("1 user p50", "u1_p50_ms", "ms", True),
    ("1 user p95", "u1_p95_ms", "ms", True),
    ("1 user p99", "u1_p99_ms", "ms", True),
    ("20 users p50", "u20_p50_ms", "ms", True),
    ("20 users p95", "u20_p95_ms", "ms", True),
    ("20 users p99", "u20_p99_ms", "ms", True),
    ("20 users throughput", "u20_msg_per_s", "msg/s", False),
    ("throughput at saturation", "saturation_msg_per_s", "msg/s", False),
    ("peak RSS, Rasa server", "rasa_peak_mb", "MB", True),
    ("peak RSS, action server", "actions_peak_mb", "MB", True),
    ("long conversation, turn 2", "turn_2_ms", "ms", True),
    ("long conversation, turn 100", "turn_100_ms", "ms", True),
    ("long conversation, turn 200", "turn_200_ms", "ms", True),
    ("long conversation, turn 400", "turn_400_ms", "ms", True),
    ("held-out NLU accuracy", "accuracy_pct", "%", False),
    ("crisis recall (combined)", "crisis_recall_pct", "%", False),
    ("crisis false-positive rate", "crisis_fpr_pct", "%", True),
    ("request errors (all phases)", "errors", "", True),
)


def markdown_table(ours: Dict[str, Any], peer: Dict[str, Any]) -> str:
    """The side-by-side table: one row per figure, with ours / peer as the ratio."""
    lines = [
        "| figure | this assistant | Rasa default (peer) | ours / peer |",
        "|---|---:|---:|---:|",
    ]
    for label, key, unit, _ in ROWS:
        lines.append(
            f"| {label} | {fmt(ours.get(key), unit)} | {fmt(peer.get(key), unit)} "
            f"| {ratio(ours.get(key), peer.get(key))} |"
        )
    return "\n".join(lines)


def conversations(heldout: Sequence[str], users: int, turns: int, seed: int) -> List[List[str]]:
    """Per user, a conversation: a greeting, then held-out messages with follow-ups between."""
    rng = random.Random(seed)
    follow_ups = ["tell me more", "why?", "how does that work?"]
    openers = ["hi", "hello there", "hey"]
    result = []
    for _ in range(users):
        messages = [rng.choice(openers)]
        while len(messages) < turns:
            messages.append(rng.choice(heldout))
            if len(messages) < turns and rng.random() < 0.3:
                messages.append(rng.choice(follow_ups))
        result.append(messages)
    return result


# ------------------------------------------------------------------------------------------------
# processes, memory


def _tree(pid: int) -> List[int]:
    """pid and all its descendants, from /proc."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def peak_rss_mb(pid: int) -> float:
    """Sum over the process tree of each process's peak resident set (VmHWM), in MB."""
    total_kb = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def _fingerprint(paths: Sequence[str], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in launcher._files(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def peer_fingerprint(epoch_fraction: float) -> str:
    """The peer's pipeline and policies (not its assistant_id, which Rasa rewrites in the file),
    the project's data and domain, Rasa's version and the epoch fraction."""
    config = yaml.safe_load(PEER_CONFIG.read_text())
    parts = {key: config.get(key) for key in ("language", "pipeline", "policies")}
    extra = f"{json.dumps(parts, sort_keys=True)} {_rasa_version()} {epoch_fraction}"
    return _fingerprint(PEER_INPUTS, extra=extra)


def _rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def _quiet_run(command: List[str], log: Path) -> float:
    """Runs a command with its output to `log`; returns the wall time in seconds."""
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.monotonic() - started


# ------------------------------------------------------------------------------------------------
# training


def train_ours(logs: Path) -> Dict[str, float]:
    """From scratch (`--force`: no cached component, into a scratch directory), then unchanged."""
    launcher.build_spacy_pipeline()
    print("  ours: training from scratch...", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        scratch_s = _quiet_run(
            [
                launcher._bin("rasa"),
                "train",
                "--force",
                "--fixed-model-name",
                "scratch",
                "--out",
                scratch,
            ],
            logs / "train_ours_scratch.log",
        )
    # The product's own path: `make train` with nothing changed.
    launcher.train_if_needed()
    unchanged_s = _quiet_run(
        [sys.executable, "-m", "bot.launcher", "train"], logs / "train_ours_unchanged.log"
    )
    return {"train_scratch_s": scratch_s, "train_unchanged_s": unchanged_s}


def train_peer(logs: Path, epoch_fraction: float = 1.0) -> Dict[str, Any]:
    """Trains the peer once per fingerprint of its inputs; later runs reuse its recorded time.

    `epoch_fraction` < 1 scales the epochs of DIET, ResponseSelector and both TED policies
    (Rasa's own `--epoch-fraction` only applies when fine-tuning): only for a busy machine; it
    understates the peer's training time and accuracy, not its serving figures.
    """
    current = peer_fingerprint(epoch_fraction)
    record: Dict[str, Any] = {}
    if PEER_RECORD.exists():
        record = json.loads(PEER_RECORD.read_text())
    cached = PEER_MODEL.exists() and record.get("fingerprint") == current
    config = PEER_CONFIG
    if epoch_fraction != 1.0:
        # Written only when training, so the "nothing changed" check sees the same file.
        config = PEER_DIR / "peer_config_scaled.yml"
        if not cached or not config.exists():
            scaled = yaml.safe_load(PEER_CONFIG.read_text())
            for part in scaled["pipeline"] + scaled["policies"]:
                if "epochs" in part:
                    part["epochs"] = max(1, round(part["epochs"] * epoch_fraction))
            PEER_DIR.mkdir(parents=True, exist_ok=True)
            config.write_text(yaml.safe_dump(scaled, sort_keys=False))
    if cached:
        print("  peer: model cached in models/peer/ (same config, data, domain); not retraining.")
    else:
        print("  peer: training from scratch (DIET, ResponseSelector, TED: slow)...", flush=True)
        PEER_DIR.mkdir(parents=True, exist_ok=True)
        scratch_s = _quiet_run(
            [
                launcher._bin("rasa"),
                "train",
                "--force",
                "--config",
                str(config),
                "--fixed-model-name",
                "peer",
                "--out",
                str(PEER_DIR),
            ],
            logs / "train_peer_scratch.log",
        )
        record = {
            "fingerprint": current,
            "epoch_fraction": epoch_fraction,
            "train_scratch_s": scratch_s,
            "trained_at": time.strftime("%Y-%m-%d %H:%M"),
        }
        PEER_RECORD.write_text(json.dumps(record, indent=2))
    # Rasa's own "nothing changed" check against the model in the output directory.
    unchanged_s = _quiet_run(
        [
            launcher._bin("rasa"),
            "train",
            "--config",
            str(config),
            "--fixed-model-name",
            "peer",
            "--out",
            str(PEER_DIR),
        ],
        logs / "train_peer_unchanged.log",
    )
    return {
        "epoch_fraction": epoch_fraction,
        "train_scratch_s": record["train_scratch_s"],
        "train_scratch_cached_from": record["trained_at"] if cached else None,
        "train_unchanged_s": unchanged_s,
    }


# ------------------------------------------------------------------------------------------------
# load over HTTP


@dataclass
class Load:
    """Latencies (s) of the completed requests, errors, and the wall time of the phase."""

    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0


def _is_turn(reply: Any) -> bool:
    """A whole turn: a list of messages whose last one carries the marker with the notice."""
    return (
        isinstance(reply, list)
        and bool(reply)
        and isinstance(reply[-1].get("custom"), dict)
        and bool(reply[-1]["custom"].get("notice"))
    )


async def _user(
    session: Any,
    urls: Sequence[str],
    sender: str,
    messages: Sequence[str],
    load: Load,
    deadline: float,
    offset: int,
) -> None:
    """One user, sending its conversation turn after turn (closed loop) until the deadline;
    each time the conversation ends, the next one starts under a new conversation id."""
    turn = 0
    while time.monotonic() < deadline:
        url = urls[(offset + turn) % len(urls)]
        conversation_id = f"{sender}-{turn // len(messages)}"
        body = {"sender": conversation_id, "message": messages[turn % len(messages)]}
        started = time.monotonic()
        try:
            async with session.post(url, json=body) as response:
                reply = await response.json(content_type=None)
            if response.status == 200 and _is_turn(reply):
                load.latencies.append(time.monotonic() - started)
            else:
                load.errors += 1
        except Exception:  # noqa: BLE001 - a failed request is counted, never fatal
            load.errors += 1
        turn += 1


async def _run_load(
    urls: Sequence[str], dialogues: List[List[str]], duration_s: float, tag: str
) -> Load:
    import aiohttp

    load = Load()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        deadline = started + duration_s
        await asyncio.gather(
            *(
                _user(session, urls, f"bench-{tag}-{i}", dialogue, load, deadline, i)
                for i, dialogue in enumerate(dialogues)
            )
        )
        load.elapsed = time.monotonic() - started
    return load


def run_load(urls: Sequence[str], dialogues: List[List[str]], duration_s: float, tag: str) -> Load:
    return asyncio.run(_run_load(urls, dialogues, duration_s, tag))


async def _long_conversation(url: str, messages: Sequence[str], turns: int) -> List[float]:
    import aiohttp

    latencies: List[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        sender = f"bench-long-{time.time_ns()}"
        for turn in range(turns):
            started = time.monotonic()
            async with session.post(
                url, json={"sender": sender, "message": messages[turn % len(messages)]}
            ) as response:
                await response.read()
            latencies.append(time.monotonic() - started)
    return latencies


def heldout_texts() -> List[str]:
    from bot.evaluate import heldout_examples

    return [text for text, _ in heldout_examples(HELDOUT)]


# ------------------------------------------------------------------------------------------------
# one configuration, end to end


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


def endpoints_for(actions_port: int, directory: Path, redis_port: Optional[int] = None) -> Path:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://localhost:{actions_port}/webhook"
    if redis_port is not None:
        endpoints["tracker_store"] = {
            "type": "bot.tracker_store.BoundedRedisTrackerStore",
            "url": "localhost",
            "port": redis_port,
            "window_events": 100,
        }
        endpoints["lock_store"] = {"type": "redis", "url": "localhost", "port": redis_port}
    path = directory / ("endpoints-redis.yml" if redis_port else "endpoints.yml")
    path.write_text(yaml.safe_dump(endpoints))
    return path


def measure_serving(
    name: str, model: Path, plan: Plan, texts: List[str], logs: Path, scratch: Path
) -> Dict[str, Any]:
    """Start to ready, latency and throughput, long conversation, peak memory, of one model."""
    figures: Dict[str, Any] = {}
    url = f"http://localhost:{RASA_PORT}/webhooks/rest/webhook"
    endpoints = endpoints_for(ACTIONS_PORT, scratch)
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
    endpoints = endpoints_for(ACTIONS_PORT, scratch, REDIS_PORT)
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


# ------------------------------------------------------------------------------------------------
# accuracy (in a child process: it loads the model with Rasa's Agent)


def _label(parse: Dict[str, Any]) -> str:
    """bot.evaluate's label; Rasa's own ResponseSelector files its answer under `default`."""
    from bot.evaluate import label_of

    intent = (parse.get("intent") or {}).get("name")
    selector = parse.get("response_selector") or {}
    if intent and intent not in selector and "default" in selector:
        parse = {**parse, "response_selector": {intent: selector["default"]}}
    return label_of(parse)


async def _accuracy(model: Path) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    from bot.evaluate import heldout_examples, report

    agent = Agent.load(get_local_model(str(model)))
    examples = heldout_examples(HELDOUT)
    predicted = [_label(await agent.parse_message(text)) for text, _ in examples]
    accuracy = report([label for _, label in examples], predicted)["accuracy"]
    crisis_set = yaml.safe_load(CRISIS_SET.read_text(encoding="utf-8"))
    rates = {}
    for side in ("crisis", "non_crisis"):
        texts = [text for group in crisis_set[side].values() for text in group]
        hits = 0
        for text in texts:
            parse = await agent.parse_message(text)
            hits += (parse.get("intent") or {}).get("name") == "crisis"
        rates[side] = hits / len(texts)
    return {
        "accuracy_pct": 100 * accuracy,
        "crisis_recall_pct": 100 * rates["crisis"],
        "crisis_fpr_pct": 100 * rates["non_crisis"],
    }


def measure_accuracy(model: Path, logs: Path, name: str) -> Dict[str, Any]:
    output = logs / f"accuracy_{name}.json"
    with (logs / f"accuracy_{name}.log").open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "bot.bench", "accuracy", str(model), str(output)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return dict(json.loads(output.read_text()))


# ------------------------------------------------------------------------------------------------


def measure_insights(scratch: Path) -> Dict[str, float]:
    """What recording clinic insights adds to a turn, in process (bot/insights/measure.py)."""
    from bot.insights.measure import measure_recording

    return measure_recording(scratch)


def insights_summary(figures: Dict[str, float]) -> str:
    return (
        "Clinic insights (in process, {turns:.0f} served-like turns, bounded in-memory store): "
        "recording adds {mean:.0f} µs a turn on the request path (p99 {p99:.0f} µs; the event "
        "broker's share of saving the tracker); the writer thread then spends {writer:.0f} µs a "
        "turn writing, off the request path. Rasa's own `stream_events`, which reads the "
        "conversation back, would cost {stock:.0f} µs a turn by itself."
    ).format(
        turns=figures["insights_turns"],
        mean=figures["insights_request_us_mean"],
        p99=figures["insights_request_us_p99"],
        writer=figures["insights_writer_us_per_turn"],
        stock=figures["rasa_stream_events_us_mean"],
    )


def write_results(result: Dict[str, Any]) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    ours, peer = result["ours"], result["peer"]
    lines = [
        f"Measured {result['measured_at']} on {result['cpus']} CPUs by `make bench`.",
        "",
        markdown_table(ours, peer),
        "",
        "Latency over HTTP (REST webhook) in a closed loop, messages drawn from "
        "tests/nlu_heldout.yml in 12-turn conversations with follow-ups; throughput at "
        f"saturation is the best of 1, 20 and {ours.get('saturation_users', '-')} users. "
        "Long-conversation figures are the median of the 5 turns around that turn.",
    ]
    if peer.get("epoch_fraction", 1.0) != 1.0:
        lines.append(
            f"The peer was trained with its epochs scaled by {peer['epoch_fraction']} (busy "
            "machine, `--peer-epoch-fraction`): its training time and accuracy are understated."
        )
    if peer.get("train_scratch_cached_from"):
        lines.append(
            "The peer's model is cached in models/peer/ by a fingerprint of its config, data "
            f"and domain; its training time was measured on {peer['train_scratch_cached_from']}."
        )
    if peer.get("long_turns", 400) < 400:
        lines.append(f"The peer's long conversation was cut at {peer['long_turns']} turns.")
    scale = result.get("scale_out") or {}
    if "one_server" in scale:
        one, two = scale["one_server"], scale["two_servers"]
        lines += [
            "",
            "Scale-out (ours, 20 users, Redis lock store + tracker store):",
            "",
            "| servers | msg/s | p50 | p95 | errors |",
            "|---|---:|---:|---:|---:|",
            f"| 1 | {fmt(one['msg_per_s'])} | {fmt(one['p50_ms'], 'ms')} "
            f"| {fmt(one['p95_ms'], 'ms')} | {one['errors']} |",
            f"| 2, client round-robin | {fmt(two['msg_per_s'])} | {fmt(two['p50_ms'], 'ms')} "
            f"| {fmt(two['p95_ms'], 'ms')} | {two['errors']} |",
        ]
    elif scale:
        lines += ["", f"Scale-out: {scale}"]
    if result.get("insights"):
        lines += ["", insights_summary(result["insights"])]
    text = "\n".join(lines) + "\n"
    (RESULTS / "bench.md").write_text(text, encoding="utf-8")
    return text


def bench(plan: Plan, peer_epoch_fraction: float, skip_scale_out: bool) -> int:
    logs = RESULTS / "bench_logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print("Training (logs in results/bench_logs/)...", flush=True)
    ours: Dict[str, Any] = train_ours(logs)
    peer: Dict[str, Any] = train_peer(logs, peer_epoch_fraction)
    texts = heldout_texts()
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        # The servers record clinic insights as deployed, into a scratch database.
        os.environ["INSIGHTS_DB_URL"] = f"sqlite:///{scratch / 'insights.sqlite3'}"
        print("Clinic insights: what recording adds to a turn...", flush=True)
        insights = measure_insights(scratch)
        print("Serving...", flush=True)
        ours.update(measure_serving("ours", launcher.MODEL, plan, texts, logs, scratch))
        peer.update(measure_serving("peer", PEER_MODEL, plan, texts, logs, scratch))
        scale_out: Any = {"skipped": "--skip-scale-out"}
        if not skip_scale_out:
            print("Scale-out with Redis...", flush=True)
            scale_out = measure_scale_out(launcher.MODEL, plan, texts, logs, scratch)
    print("Accuracy and crisis recall...", flush=True)
    ours.update(measure_accuracy(launcher.MODEL, logs, "ours"))
    peer.update(measure_accuracy(PEER_MODEL, logs, "peer"))
    result = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "plan": plan.__dict__,
        "ours": ours,
        "peer": peer,
        "scale_out": scale_out,
        "insights": insights,
        "bench_s": time.monotonic() - started,
    }
    print()
    print(write_results(result))
    print(f"Written to results/bench.json and results/bench.md in {result['bench_s']:.0f} s.")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["insights"]:
        with tempfile.TemporaryDirectory() as directory:
            print(insights_summary(measure_insights(Path(directory))))
        return 0
    if argv[:1] == ["accuracy"]:
        import logging

        logging.basicConfig(level=logging.WARNING)
        figures = asyncio.run(_accuracy(Path(argv[1])))
        Path(argv[2]).write_text(json.dumps(figures))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short load phases (smoke run)")
    parser.add_argument("--peer-epoch-fraction", type=float, default=1.0)
    parser.add_argument("--peer-long-turns", type=int, default=400)
    parser.add_argument("--skip-scale-out", action="store_true")
    args = parser.parse_args(argv)
    plan = Plan(peer_long_turns=args.peer_long_turns)
    if args.quick:
        plan = Plan(single_s=5, concurrent_s=5, long_turns=50, peer_long_turns=20)
    os.chdir(ROOT)
    return bench(plan, args.peer_epoch_fraction, args.skip_scale_out)


if __name__ == "__main__":
    sys.exit(main())
