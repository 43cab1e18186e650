"""`make profile`: where one message's time goes inside the Rasa server.

Loads the trained model in process with the deployment's tracker store and generator
(`endpoints.yml`; the action server runs beside it, as in production, for the follow-ups),
sends 12-turn conversations of held-out messages through `Agent.handle_message` under
cProfile, and prints, per message, the time spent in each stage of
the path: NLU (spaCy with the crisis matcher and the term ruler, the topic classifier, the crisis
guard), the policies, the tracker store, the response generator and Rasa's own plumbing around
them. HTTP (Sanic, JSON) is not in it: `make bench` measures it end to end. Message text is never
printed, only figures.

python -m tools.profile_message [--messages 600] [--output results/profile.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bot import launcher
from tools.endpoints import write_endpoints

ROOT = launcher.ROOT
ACTIONS_PORT = 5395  # in the bench's range (5300-5399), clear of its servers
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
DEFAULT_OUTPUT = ROOT / "results" / "profile.txt"
TURNS_PER_CONVERSATION = 12

# (stage, file suffix, function name): cumulative time of these calls is the stage's time.
# Nested stages (the crisis matcher inside spaCy) are shown indented under their parent.
STAGES: Sequence[Tuple[str, str, str]] = (
    ("NLU: parse_message (all of it)", "rasa/core/processor.py", "parse_message"),
    ("  spaCy pipeline (SpacyNLP)", "rasa/nlu/utils/spacy_utils.py", "process"),
    ("    crisis matcher", "bot/nlu/spacy_pipeline.py", "__call__"),
    ("    term entity ruler", "spacy/pipeline/entityruler.py", "__call__"),
    ("  SpacyTokenizer", "rasa/nlu/tokenizers/tokenizer.py", "process"),
    ("  topic classifier", "bot/nlu/topic_classifier.py", "process"),
    ("  crisis guard", "bot/nlu/crisis_guard.py", "process"),
    ("  domain terms", "bot/nlu/domain_terms.py", "process"),
    ("Policies", "rasa/core/processor.py", "predict_next_with_tracker_if_should"),
    ("  RulePolicy", "rasa/core/policies/rule_policy.py", "predict_action_probabilities"),
    ("  MemoizationPolicy", "rasa/core/policies/memoization.py", "predict_action_probabilities"),
    ("Tracker store: retrieve", "rasa/core/processor.py", "fetch_tracker_and_update_session"),
    ("Tracker store: save", "rasa/core/processor.py", "save_tracker"),
    ("Response generator (bot/nlg.py)", "bot/nlg.py", "generate"),
    ("Graph runner (dask), every graph call", "rasa/engine/runner/dask.py", "run"),
)


def conversations(texts: Sequence[str], count: int) -> List[List[str]]:
    """`count` messages cut into conversations of TURNS_PER_CONVERSATION, cycling the texts."""
    messages = [texts[i % len(texts)] for i in range(count)]
    return [
        messages[i : i + TURNS_PER_CONVERSATION]
        for i in range(0, len(messages), TURNS_PER_CONVERSATION)
    ]


async def _run(
    model: Path, dialogues: List[List[str]], endpoints_path: Path
) -> Tuple[pstats.Stats, float, int]:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(endpoints_path))
    agent = await load_agent(model_path=str(model), endpoints=endpoints)
    # Warm up (first-call imports and caches) outside the measurement.
    await agent.handle_message(UserMessage("hello", CollectingOutputChannel(), "warm-up"))
    profiler = cProfile.Profile()
    count = 0
    started = time.perf_counter()
    profiler.enable()
    for number, dialogue in enumerate(dialogues):
        for text in dialogue:
            await agent.handle_message(
                UserMessage(text, CollectingOutputChannel(), f"profile-{number}")
            )
            count += 1
    profiler.disable()
    elapsed = time.perf_counter() - started
    return pstats.Stats(profiler), elapsed, count


def stage_times(stats: pstats.Stats) -> Dict[str, float]:
    """Cumulative seconds per stage (summed over every matching function)."""
    totals: Dict[str, float] = {name: 0.0 for name, _, _ in STAGES}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        for name, suffix, wanted in STAGES:
            if function == wanted and path.endswith(suffix):
                totals[name] += cumulative
    return totals


def report(stats: pstats.Stats, elapsed: float, count: int) -> str:
    per_message_ms = 1000 * elapsed / count
    lines = [
        f"{count} messages in {elapsed:.1f} s under cProfile: {per_message_ms:.1f} ms a message "
        "(profiling adds overhead; `make bench` gives the real latency over HTTP).",
        "",
        f"{'stage':48s} {'ms/message':>10s} {'share':>7s}",
    ]
    for name, seconds in stage_times(stats).items():
        ms = 1000 * seconds / count
        lines.append(f"{name:48s} {ms:10.2f} {100 * seconds / elapsed:6.1f}%")
    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(15)
    top = [line for line in buffer.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(top) if "ncalls" in line), 0)
    lines += ["", "Top functions by own time:", *top[start:]]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=launcher.MODEL)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    from tools.evaluate import heldout_examples

    texts = [text for text, _ in heldout_examples(HELDOUT)]
    dialogues = conversations(texts, args.messages)
    with tempfile.TemporaryDirectory() as scratch:
        # Clinic insights are recorded as deployed, into a scratch database.
        os.environ["INSIGHTS_DB_URL"] = f"sqlite:///{Path(scratch) / 'insights.sqlite3'}"
        endpoints_path = write_endpoints(Path(scratch), ACTIONS_PORT)
        quiet = (Path(scratch) / "actions.log").open("w")
        actions = launcher.start_action_server(ACTIONS_PORT, log=quiet)
        try:
            launcher.wait_until_ready(
                f"http://localhost:{ACTIONS_PORT}/health", actions, launcher.READY_TIMEOUT_S
            )
            stats, elapsed, count = asyncio.run(_run(args.model, dialogues, endpoints_path))
        finally:
            launcher.stop([actions])
            quiet.close()
    text = report(stats, elapsed, count)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"\nWritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
