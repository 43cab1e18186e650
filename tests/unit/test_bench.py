"""`make bench`'s pure logic, and the peer it compares against: Rasa's own default config."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasa
import yaml

from tools.bench import figures, load, paths, processes


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [0.4, 0.1, 0.3, 0.2, 0.5]
    assert figures.percentile(values, 50) == 0.3
    assert figures.percentile(values, 0) == 0.1
    assert figures.percentile(values, 100) == 0.5
    assert figures.percentile(values, 95) == pytest.approx(0.48)
    assert figures.percentile([7.0], 99) == 7.0
    assert figures.percentile([], 50) != figures.percentile([], 50)  # nan


def test_latency_summary_in_milliseconds_and_messages_per_second() -> None:
    summary = figures.latency_summary([0.01, 0.02, 0.03, 0.04], elapsed_s=2.0, errors=1)
    assert summary["messages"] == 4
    assert summary["errors"] == 1
    assert summary["p50_ms"] == pytest.approx(25.0)
    assert summary["msg_per_s"] == pytest.approx(2.0)


def test_window_median_of_the_turns_around_a_turn() -> None:
    latencies = [float(n) for n in range(1, 11)]  # turn n took n seconds
    assert figures.window_median(latencies, 2) == 2.5  # turns 1-4
    assert figures.window_median(latencies, 10) == 9.0  # turns 8-10
    assert figures.window_median(latencies, 5) == 5.0
    assert figures.window_median(latencies, 11) != figures.window_median(latencies, 11)  # nan


def test_ratio_and_number_formatting() -> None:
    assert figures.ratio(10.0, 100.0) == "0.10x"
    assert figures.ratio(None, 1.0) == "-"
    assert figures.ratio(1.0, 0.0) == "-"
    assert figures.ratio(1.0, float("nan")) == "-"
    assert figures.fmt(12.34, "ms") == "12.3 ms"
    assert figures.fmt(1234.5, "ms") == "1234 ms"
    assert figures.fmt(None, "s") == "-"
    assert figures.fmt(3) == "3"


def test_the_table_has_one_row_per_figure_with_both_sides_and_the_ratio() -> None:
    table = figures.markdown_table({"u1_p50_ms": 10.0}, {"u1_p50_ms": 100.0})
    lines = table.splitlines()
    assert lines[0].startswith("| figure |")
    assert len(lines) == 2 + len(figures.ROWS)
    assert "| 1 user p50 | 10.0 ms | 100 ms | 0.10x |" in lines
    assert "| training from scratch | - | - | - |" in lines


def test_conversations_are_deterministic_and_draw_from_the_given_messages() -> None:
    texts = ["what is bdnf?", "I want to die", "should I stop my zoloft"]
    first = figures.conversations(texts, users=3, turns=8, seed=1)
    assert first == figures.conversations(texts, users=3, turns=8, seed=1)
    assert [len(c) for c in first] == [8, 8, 8]
    allowed = set(texts) | {"tell me more", "why?", "how does that work?", "hi", "hello there"}
    assert {m for c in first for m in c} <= allowed | {"hey"}


def test_a_whole_turn_ends_with_the_marker_and_its_notice() -> None:
    assert load._is_turn([{"text": "x"}, {"custom": {"kind": "answer", "notice": "n"}}])
    assert not load._is_turn([{"text": "x"}])
    assert not load._is_turn([])
    assert not load._is_turn({"error": "x"})


def test_peak_rss_of_this_process_is_plausible() -> None:
    import os

    assert 5 < processes.peak_rss_mb(os.getpid()) < 10_000


def _active(section: list) -> list:
    return [dict(part) for part in section]


def test_the_peer_is_what_rasa_init_trains_with() -> None:
    rasa_dir = Path(rasa.__file__).parent
    initial = yaml.safe_load((rasa_dir / "cli" / "initial_project" / "config.yml").read_text())
    defaults = yaml.safe_load(
        (rasa_dir / "engine" / "recipes" / "config_files" / "default_config.yml").read_text()
    )
    peer = yaml.safe_load(paths.PEER_CONFIG.read_text())
    # `rasa init` writes empty pipeline and policies; training fills them from the defaults.
    assert initial["pipeline"] is None and initial["policies"] is None
    assert peer["recipe"] == initial["recipe"] == defaults["recipe"]
    assert peer["language"] == initial["language"]
    # Only the assistant's name differs: Rasa rewrites its placeholder in the file on training.
    assert initial["assistant_id"] == "placeholder_default" != peer["assistant_id"]
    assert _active(peer["pipeline"]) == _active(defaults["pipeline"])
    assert _active(peer["policies"]) == _active(defaults["policies"])


def test_the_profile_cuts_the_messages_into_twelve_turn_conversations() -> None:
    from tools.profile_message import TURNS_PER_CONVERSATION, conversations

    dialogues = conversations(["a", "b", "c"], 30)
    assert [len(d) for d in dialogues] == [TURNS_PER_CONVERSATION, TURNS_PER_CONVERSATION, 6]
    assert dialogues[0][:4] == ["a", "b", "c", "a"]
