"""The launcher: trains only when inputs change, and Ctrl-C stops both servers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from bot import launcher

from conftest import ROOT


def test_the_fingerprint_covers_data_domain_config_and_nlu_code() -> None:
    files = {str(path.relative_to(ROOT)) for path in launcher._files(launcher.TRAINING_INPUTS)}
    assert {
        "config.yml",
        "domain.yml",
        "data/nlu/crisis.yml",
        "bot/nlu/rules/crisis.yml",
    } <= files
    assert any(name.startswith("bot/nlu/") for name in files)
    assert launcher.fingerprint() == launcher.fingerprint()


def test_nothing_is_retrained_when_nothing_changed() -> None:
    assert launcher.MODEL.exists(), "make test trains before the tests run"
    assert launcher.train_if_needed() is False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.servers
def test_ctrl_c_stops_both_servers() -> None:
    run = subprocess.Popen([sys.executable, "-m", "bot.launcher", "run"], cwd=ROOT)
    rasa = f"http://localhost:{launcher.RASA_PORT}/webhooks/rest/"
    actions = f"http://localhost:{launcher.ACTIONS_PORT}/health"
    try:
        deadline = time.monotonic() + 180
        while not (answers(rasa) and answers(actions)):
            assert run.poll() is None and time.monotonic() < deadline, "the assistant never started"
            time.sleep(1)
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0
        assert not answers(rasa) and not answers(actions)
    finally:
        if run.poll() is None:
            run.kill()
