"""Pure helpers: percentiles, summaries, the side-by-side table, the conversations sent (unit-tested
in tests/unit/test_bench.py)."""

from __future__ import annotations

import random
from typing import Any, Dict, List, Optional, Sequence, Tuple


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
