"""The launcher: trains only when inputs change, and Ctrl-C stops both servers."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

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


WARN = (
    "import warnings; warnings.warn('old', DeprecationWarning); "
    "warnings.warn('soon', FutureWarning)"
)


def stderr_of(env: Dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", WARN], env=env, capture_output=True, text=True, check=True
    ).stderr


def test_what_the_launcher_starts_keeps_library_warnings_quiet_unless_verbose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    quiet = launcher.server_env({"CLINIC_NAME": "Bright Path Clinic"})
    assert quiet["PYTHONWARNINGS"] == launcher.QUIET_WARNINGS
    assert quiet["TF_CPP_MIN_LOG_LEVEL"] == "3" and quiet["CLINIC_NAME"] == "Bright Path Clinic"
    assert stderr_of(quiet) == ""
    verbose = launcher.server_env(verbose=True)
    assert "PYTHONWARNINGS" not in verbose and verbose["TF_CPP_MIN_LOG_LEVEL"] == "1"
    shown = stderr_of(verbose)
    assert "DeprecationWarning: old" in shown and "FutureWarning: soon" in shown
    # A PYTHONWARNINGS of one's own is kept.
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    assert launcher.server_env()["PYTHONWARNINGS"] == "error"


def test_rasa_runs_without_library_deprecation_warnings_unless_verbose() -> None:
    assert launcher.rasa_command() == [sys.executable, "-m", "bot.quiet_rasa"]
    assert launcher.rasa_command(verbose=True) == [launcher._bin("rasa")]
    # Sanic turns DeprecationWarning back on when imported; they stay hidden all the same, and
    # any other warning is shown.
    code = (
        "import warnings, bot.quiet_rasa as quiet; quiet.install(); "
        "warnings.filterwarnings('once', category=DeprecationWarning); "
        "warnings.warn('old', DeprecationWarning); warnings.warn('soon', FutureWarning); "
        "warnings.warn('check your domain', UserWarning)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stderr
    assert "UserWarning: check your domain" in shown
    assert "old" not in shown and "soon" not in shown


def test_verbose_reaches_training_and_the_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[Any] = []
    monkeypatch.setattr(launcher, "run", lambda verbose=False: calls.append(("run", verbose)) or 0)
    monkeypatch.setattr(
        launcher,
        "train_if_needed",
        lambda force=False, verbose=False: calls.append(("train", force, verbose)),
    )
    assert launcher.main(["run"]) == 0 and launcher.main(["run", "--verbose"]) == 0
    assert launcher.main(["train", "--verbose"]) == 0
    assert calls == [("run", False), ("run", True), ("train", False, True)]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
@pytest.mark.parametrize("target", ["run", "train"])
def test_make_verbose_1_passes_the_flag(target: str) -> None:
    def command(*args: str) -> str:
        printed = subprocess.run(
            ["make", "-n", "--no-print-directory", target, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return printed.strip().splitlines()[-1]

    assert command().split()[-1] == target
    assert command("VERBOSE=1").endswith(f"bot.launcher {target} --verbose")
    assert command("VERBOSE=0").split()[-1] == target


class Started:
    """Stands in for subprocess.Popen: keeps the command line and the environment."""

    calls: List["Started"] = []

    def __init__(self, args: List[str], env: Dict[str, str], **kwargs: Any) -> None:
        self.args, self.env = args, env
        Started.calls.append(self)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> List[Started]:
    for name in ("ACTIONS_HOST", "RASA_HOST", "SANIC_HOST", "CLINIC_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(launcher.subprocess, "Popen", Started)
    Started.calls = []
    return Started.calls


def test_the_action_server_listens_on_loopback_unless_configured(started: List[Started]) -> None:
    launcher.start_action_server(5999)
    launcher.start_action_server(5999, env={"ACTIONS_HOST": "0.0.0.0"})
    # Rasa's SDK has no option for it: it listens where SANIC_HOST says.
    assert [call.env["SANIC_HOST"] for call in started] == ["127.0.0.1", "0.0.0.0"]
    assert started[0].args[-6:] == ["run", "actions", "--actions", "actions", "--port", "5999"]


def test_the_rasa_server_listens_everywhere_unless_configured(
    started: List[Started], tmp_path: Any
) -> None:
    endpoints = tmp_path / "endpoints.yml"
    launcher.start_rasa_server(5998, endpoints)
    launcher.start_rasa_server(5998, endpoints, env={"RASA_HOST": "127.0.0.1"})
    interfaces = [call.args[call.args.index("--interface") + 1] for call in started]
    assert interfaces == ["0.0.0.0", "127.0.0.1"]


MISTAKE = (
    'clinic:\n  name: "Harbour Clinic"\n'
    "answers:\n"
    "  cost: |\n"
    "    A session is $400.\n"
    "    See [our prices](http://harbour.example/prices).\n"
)
PLACE = "mistake.yml, line 6, answers.cost: a link may go only to https:, tel: or mailto:"


def test_a_clinic_file_with_a_mistake_stops_the_start_before_any_server(
    started: List[Started], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.clinic_answers import ClinicAnswersError

    settings = tmp_path / "mistake.yml"
    settings.write_text(MISTAKE, encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(settings))
    for demo in (None, "http://localhost:5999"):
        with pytest.raises(ClinicAnswersError, match=PLACE):
            launcher.start_servers(5998, 5997, tmp_path / "endpoints.yml", demo)
    assert started == []


def test_the_demo_gets_the_demo_clinics_answers_unless_the_deployment_wrote_its_own(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINIC_ANSWERS_FILE", raising=False)
    monkeypatch.setenv("CLINIC_SETTINGS", str(ROOT / "clinic.yml"))
    assert launcher.demo_answers_env() == {"CLINIC_ANSWERS_FILE": str(launcher.DEMO_CLINIC_ANSWERS)}
    own = tmp_path / "own.yml"
    own.write_text('clinic:\n  name: "H"\nanswers:\n  hours: "Open."\n', encoding="utf-8")
    assert launcher.demo_answers_env({"CLINIC_SETTINGS": str(own)}) == {}


@pytest.mark.servers
def test_the_rasa_server_itself_refuses_to_start_with_a_mistake_in_the_answers(
    tmp_path: Any,
) -> None:
    from tools.endpoints import write_endpoints

    settings = tmp_path / "mistake.yml"
    settings.write_text(MISTAKE, encoding="utf-8")
    endpoints = write_endpoints(tmp_path, 5996)
    result = subprocess.run(
        [*launcher.rasa_command(), "run", "--model", str(launcher.MODEL), "--endpoints"]
        + [str(endpoints), "--credentials", "credentials.yml", "--port", "5995"],
        cwd=ROOT,
        env={**launcher.server_env(), "CLINIC_SETTINGS": str(settings)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert PLACE in result.stdout + result.stderr


def listening(port: int) -> set:
    """The local addresses of the sockets listening on this port (Linux's /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.servers
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="not Linux")
def test_only_this_machine_can_reach_the_action_server(servers: Dict[str, Any]) -> None:
    assert listening(servers["actions_port"]) == {"0100007F"}  # 127.0.0.1
    assert "00000000" in listening(servers["rasa_port"])  # 0.0.0.0
