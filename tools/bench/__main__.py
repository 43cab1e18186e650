"""`make bench`: speed and size of this assistant against Rasa's default configuration.

One run measures, for the project's model ("ours") and for the peer (Rasa 3.6's default
configuration, `bench/peer_config.yml`, trained on this project's data and domain):
training time from scratch and with nothing changed, time from start to ready, HTTP latency
(p50/p95/p99) for 1 and 20 concurrent users, throughput at saturation, peak memory of the Rasa
server and of the action server, held-out NLU accuracy and crisis recall; the latency of turns
2/100/200/400 of one long conversation; and one Rasa server against two behind a client-side
round-robin sharing a Redis lock store and tracker store. Writes `results/bench.json` and
`results/bench.md`. Message text is never printed or written, only labels and figures.

python -m tools.bench                 # everything (the peer model is trained once, then cached)
python -m tools.bench --quick         # shorter load phases, for a smoke run
python -m tools.bench insights        # only what recording clinic insights adds to a turn
python -m tools.bench accuracy MODEL  # internal: held-out accuracy and crisis recall as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot import launcher
from tools.bench.accuracy import _accuracy, measure_accuracy
from tools.bench.load import heldout_texts
from tools.bench.paths import PEER_MODEL, RESULTS, ROOT
from tools.bench.report import insights_summary, measure_insights, write_results
from tools.bench.serving import Plan, measure_scale_out, measure_serving
from tools.bench.training import train_ours, train_peer


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
