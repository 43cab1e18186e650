"""The results: bench.json, bench.md and the clinic-insights line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from tools.bench.figures import fmt, markdown_table
from tools.bench.paths import RESULTS


def measure_insights(scratch: Path) -> Dict[str, float]:
    """What recording clinic insights adds to a turn, in process (tools/bench/insights_cost.py)."""
    from tools.bench.insights_cost import measure_recording

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
