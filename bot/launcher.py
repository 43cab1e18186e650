"""Trains when needed and runs the assistant: the action server and the Rasa server together.

python -m bot.launcher train   # train only if data, domain, config or NLU code changed
python -m bot.launcher run     # train if needed, start both servers, stop both on Ctrl-C

Training and the servers print their progress, the ready line and errors; the libraries'
deprecation warnings appear only with --verbose (`make run VERBOSE=1`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Dict, Iterable, List, Mapping, Optional

from bot.settings import ANSWERS_FILE_ENV, Settings, read_settings
from bot.widget.demo import start_demo_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"
FINGERPRINT = ROOT / "models" / "current.fingerprint"
SPACY_FINGERPRINT = ROOT / "models" / "current.spacy-fingerprint"
SPACY_PIPELINE = ROOT / "build" / "spacy" / "en_mindwork"
# Everything a trained model depends on; a change to any of these retrains.
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "bot/nlu",
)
SPACY_INPUTS = ("bot/nlu/spacy_pipeline.py", "bot/nlu/rules")
RASA_PORT = int(os.environ.get("RASA_PORT", "5005"))
ACTIONS_PORT = 5055  # endpoints.yml points the Rasa server here
READY_TIMEOUT_S = 180
# The demo clinic's own answers, for the demo intake page (bot/widget/demo.py).
DEMO_CLINIC_ANSWERS = ROOT / "bot" / "widget" / "demo_clinic.yml"
# Warnings from the libraries (pkg_resources, distutils, Keras, TensorFlow, matplotlib,
# SQLAlchemy...) about their own future: nothing a person running the assistant can act on.
# For the processes that do not turn them back on; Rasa does, hence `rasa_command`.
QUIET_WARNINGS = ",".join(
    f"ignore::{category}"
    for category in ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning")
)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def rasa_command(verbose: bool = False) -> List[str]:
    """Rasa's command line: without the libraries' deprecation warnings (`bot.quiet_rasa`)
    unless `verbose`."""
    return [_bin("rasa")] if verbose else [sys.executable, "-m", "bot.quiet_rasa"]


def _files(paths: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for name in paths:
        path = ROOT / name
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.exists():
            found.append(path)
    return sorted(found)


def fingerprint(inputs: Iterable[str] = TRAINING_INPUTS) -> str:
    """A hash of the inputs' names and contents."""
    digest = hashlib.sha256()
    for path in _files(inputs):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_spacy_pipeline(verbose: bool = False) -> None:
    """Builds the spaCy pipeline when it is missing or older than its code or rules."""
    meta = SPACY_PIPELINE / "meta.json"
    newest_input = max(path.stat().st_mtime for path in _files(SPACY_INPUTS))
    if not meta.exists() or meta.stat().st_mtime < newest_input:
        subprocess.run(
            [sys.executable, "-m", "bot.nlu.spacy_pipeline"],
            cwd=ROOT,
            env=server_env(verbose=verbose),
            check=True,
        )


def train_if_needed(force: bool = False, verbose: bool = False) -> bool:
    """Trains a model unless the current one was trained from the same inputs."""
    build_spacy_pipeline(verbose)
    current = fingerprint()
    if not force and MODEL.exists() and FINGERPRINT.exists():
        if FINGERPRINT.read_text().strip() == current:
            print(f"Model is up to date ({MODEL.relative_to(ROOT)}); not retraining.")
            return False
    print("Training the assistant...")
    started = time.monotonic()
    # Rasa's training cache knows the spaCy pipeline by its path only: after the pipeline's
    # tokenizer or rules change, cached tokens of the training data would be stale.
    spacy_current = fingerprint(SPACY_INPUTS)
    spacy_changed = not SPACY_FINGERPRINT.exists() or SPACY_FINGERPRINT.read_text() != spacy_current
    subprocess.run(
        [*rasa_command(verbose), "train", "--fixed-model-name", "current", "--out", "models"]
        + (["--force"] if spacy_changed else []),
        cwd=ROOT,
        env=server_env(verbose=verbose),
        check=True,
    )
    FINGERPRINT.write_text(current)
    SPACY_FINGERPRINT.write_text(spacy_current)
    print(f"Trained in {time.monotonic() - started:.0f} s.")
    return True


def wait_until_ready(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} did not start: the process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} was not ready within {timeout_s:.0f} s")


def server_env(env: Optional[Mapping[str, str]] = None, verbose: bool = False) -> Dict[str, str]:
    """The environment of what the launcher starts (training, both servers): this process's
    with `env` added, and without the libraries' deprecation warnings unless `verbose` (a
    PYTHONWARNINGS of one's own is kept either way)."""
    merged = {**os.environ, **(env or {}), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    if not verbose:
        merged["TF_CPP_MIN_LOG_LEVEL"] = "3"
        merged.setdefault("PYTHONWARNINGS", QUIET_WARNINGS)
    return merged


def rasa_api_args(settings: Settings) -> List[str]:
    """Rasa's HTTP API stays off unless `api.enabled`; then every call needs the token."""
    if not settings.api_enabled:
        return []
    if not settings.api_auth_token:
        raise RuntimeError(
            "api.enabled needs api.auth_token (RASA_API_TOKEN, at least 16 characters)"
        )
    return ["--enable-api", "--auth-token", settings.api_auth_token]


def start_action_server(
    port: int = ACTIONS_PORT,
    env: Optional[Mapping[str, str]] = None,
    log: Optional[IO] = None,
    verbose: bool = False,
) -> subprocess.Popen:
    """Starts the action server, listening on `servers.actions_host` (loopback by default: only
    the Rasa server calls it). Rasa's SDK takes the address from SANIC_HOST only."""
    actions_env = server_env(env, verbose)
    actions_env["SANIC_HOST"] = read_settings(actions_env).actions_host
    return subprocess.Popen(
        [*rasa_command(verbose), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT,
        env=actions_env,
        stdout=log,
        stderr=log,
    )


def demo_port(rasa_port: int = RASA_PORT) -> int:
    """The widget's demo intake page listens next to the Rasa server."""
    return rasa_port + 1


def demo_origin(rasa_port: int = RASA_PORT) -> str:
    return f"http://localhost:{demo_port(rasa_port)}"


def start_rasa_server(
    port: int,
    endpoints: Path,
    env: Optional[Mapping[str, str]] = None,
    log: Optional[IO] = None,
    model: Path = MODEL,
    verbose: bool = False,
) -> subprocess.Popen:
    """Starts the Rasa server on `servers.rasa_host` (every interface by default); `env` adds to
    this process's environment (settings overrides)."""
    rasa_env = server_env(env, verbose)
    settings = read_settings(rasa_env)
    return subprocess.Popen(
        [
            *rasa_command(verbose),
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            "credentials.yml",
            "--interface",
            settings.rasa_host,
            "--port",
            str(port),
            *rasa_api_args(settings),
        ],
        cwd=ROOT,
        env=rasa_env,
        stdout=log,
        stderr=log,
    )


def start_servers(
    rasa_port: int = RASA_PORT,
    actions_port: int = ACTIONS_PORT,
    endpoints: Path = ROOT / "endpoints.yml",
    widget_demo_origin: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    log: Optional[IO] = None,
    model: Path = MODEL,
    verbose: bool = False,
) -> List[subprocess.Popen]:
    """Starts the action server and the Rasa server; returns once both answer.

    `endpoints` must point the Rasa server at `actions_port`; `env` overrides settings and `log`
    receives both servers' output (default: this process's). With `widget_demo_origin`, the Rasa
    server lets a page at that origin (the widget's demo page) embed the widget. `verbose` keeps
    the libraries' deprecation warnings in their output.
    """
    if widget_demo_origin:
        env = {**(env or {}), "WIDGET_DEMO_ORIGIN": widget_demo_origin, **demo_answers_env(env)}
    actions = start_action_server(actions_port, env, log, verbose)
    try:
        rasa = start_rasa_server(rasa_port, endpoints, env, log, model, verbose)
    except BaseException:
        stop([actions])
        raise
    processes = [actions, rasa]
    try:
        wait_until_ready(f"http://localhost:{actions_port}/health", actions, READY_TIMEOUT_S)
        wait_until_ready(f"http://localhost:{rasa_port}/webhooks/rest/", rasa, READY_TIMEOUT_S)
    except BaseException:
        stop(processes)
        raise
    return processes


def demo_answers_env(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The demo clinic's answers, when the deployment has written none of its own: they belong
    to the demo page's clinic, so only its conversations get them. Reading the settings here also
    stops a start with answers that have a mistake, naming its place, before any server starts."""
    settings = read_settings({**os.environ, **(env or {})})
    if not settings.clinic_answers.is_empty():
        return {}
    return {ANSWERS_FILE_ENV: str(DEMO_CLINIC_ANSWERS)}


def stop(processes: List[subprocess.Popen]) -> None:
    # SIGTERM, not SIGINT: a server started from a background job ignores SIGINT.
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def demo_insights_token(environ: Mapping[str, str]) -> tuple:
    """The staff page for the demo: with the deployment's token, or a one-time one for this run
    (printed to this terminal only) when none is set, so the page fills as a visitor chats."""
    if read_settings(environ).insights_token:
        return {}, "(sign in with INSIGHTS_TOKEN)"
    token = secrets.token_urlsafe(18)
    return {"INSIGHTS_TOKEN": token}, (
        f"(sign in with {token}: a one-time token for this run; set INSIGHTS_TOKEN to choose one)"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(verbose: bool = False) -> int:
    # Ctrl-C and a service manager's SIGTERM both stop the two servers, even when this process
    # was started in the background, where SIGINT is ignored by default.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        train_if_needed(verbose=verbose)
        # `make run` is the demo: a clinic intake page with the widget on a port of its own.
        demo = start_demo_server(demo_port(), f"http://localhost:{RASA_PORT}")
        insights_env, insights_note = demo_insights_token(os.environ)
        processes = start_servers(  # stops them if interrupted
            widget_demo_origin=demo_origin(), env=insights_env, verbose=verbose
        )
    except KeyboardInterrupt:
        print("\nStopped before the assistant was ready.")
        return 0
    print(
        f"\nThe assistant is ready ({time.monotonic() - started:.0f} s).\n"
        f"  REST API: POST http://localhost:{RASA_PORT}/webhooks/rest/webhook\n"
        f'            body {{"sender": "<conversation id>", "message": "what is bdnf?"}}\n'
        f"  Actions:  http://localhost:{ACTIONS_PORT}\n"
        f"  Widget:   a demo clinic intake page with the chat widget at {demo_origin()}/\n"
        f"  Insights: http://localhost:{RASA_PORT}/insights {insights_note}\n"
        "Press Ctrl-C to stop both servers.",
        flush=True,
    )
    try:
        while processes[1].poll() is None:
            if processes[0].poll() is not None:
                # Crisis turns and the notice do not need it, but follow-ups do: bring it back.
                print("The action server exited; restarting it.", file=sys.stderr)
                time.sleep(2)
                processes[0] = start_action_server(ACTIONS_PORT, verbose=verbose)
            time.sleep(0.5)
        print("The Rasa server exited; stopping.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        demo.shutdown()
        stop(processes)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", choices=["train", "run"])
    parser.add_argument("--force", action="store_true", help="train even when nothing changed")
    parser.add_argument(
        "--verbose", action="store_true", help="show the libraries' deprecation warnings too"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.command == "train":
        train_if_needed(force=args.force, verbose=args.verbose)
        return 0
    return run(verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
