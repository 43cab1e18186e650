"""Shared fixtures: the project's files, the merged domain, and the running servers."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "topics.md"

Reply = List[Dict[str, Any]]

# Every Rasa server the tests start (and every recorder in this process) records its clinic
# insights here, never into the project's own var/insights.sqlite3; the cluster uses PostgreSQL.
INSIGHTS_DIR = Path(tempfile.mkdtemp(prefix="mindwork-insights-"))
INSIGHTS_SQLITE_URL = f"sqlite:///{INSIGHTS_DIR / 'insights.sqlite3'}"
INSIGHTS_TOKEN = secrets.token_urlsafe(24)
# Scripted conversations name this clinic, so their rows can be told from other tests' rows.
INSIGHTS_CLINIC = "Insights Test Clinic"
os.environ["INSIGHTS_DB_URL"] = INSIGHTS_SQLITE_URL
os.environ["INSIGHTS_TOKEN"] = INSIGHTS_TOKEN
os.environ["INSIGHTS_CLINICS"] = INSIGHTS_CLINIC
# The servers and tools the tests start run this checkout's code, as the tests do (pytest.ini
# `pythonpath`), also when the virtual environment was made by another checkout (a worktree).
os.environ["PYTHONPATH"] = os.pathsep.join(
    part for part in (str(ROOT), os.environ.get("PYTHONPATH", "")) if part
)


def nlu_examples(path: Path) -> Dict[str, List[str]]:
    """Examples per full label (`faq/<topic>` or intent) in one Rasa NLU file."""
    examples: Dict[str, List[str]] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        lines = [
            line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip()
        ]
        examples.setdefault(block["intent"], []).extend(lines)
    return examples


def training_examples() -> Dict[str, List[str]]:
    merged: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for label, lines in nlu_examples(path).items():
            merged.setdefault(label, []).extend(lines)
    return merged


@pytest.fixture(scope="session")
def domain_responses() -> Dict[str, List[Dict[str, Any]]]:
    """Every response the assistant can utter: domain.yml plus the retrieval responses."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    return dict(importer.get_domain().responses)


class Assistant:
    """Talks to the running Rasa server over its REST webhook."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None) -> Reply:
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """The real action server and Rasa server, on ports of their own, for the whole session."""
    from bot import launcher
    from bot.widget.demo import start_demo_server
    from tools.endpoints import write_endpoints

    if not launcher.MODEL.exists():
        pytest.fail("No trained model: run `make test`, which trains first.")
    # TEST_PORT_BASE lets several work trees run their suites side by side.
    base = int(os.environ.get("TEST_PORT_BASE", "5100"))
    rasa_port, actions_port = base + 5, base + 55
    endpoints = write_endpoints(tmp_path_factory.mktemp("endpoints"), actions_port)
    demo_origin = launcher.demo_origin(rasa_port)
    processes = launcher.start_servers(rasa_port, actions_port, endpoints, demo_origin)
    demo = start_demo_server(launcher.demo_port(rasa_port), f"http://localhost:{rasa_port}")
    state = {
        "assistant": Assistant(f"http://localhost:{rasa_port}/webhooks/rest/webhook"),
        "processes": processes,
        "actions_port": actions_port,
        "rasa_port": rasa_port,
        "endpoints": endpoints,
        "demo_origin": demo_origin,
        "demo_server": demo,
    }
    yield state
    demo.shutdown()
    launcher.stop(state["processes"])


@pytest.fixture
def assistant(servers: Dict[str, Any]) -> Assistant:
    return servers["assistant"]


def marker_of(reply: Reply) -> Dict[str, Any]:
    markers = [message["custom"] for message in reply if "custom" in message]
    assert len(markers) == 1, f"expected one marker per turn, got {markers}"
    return markers[0]


def text_of(reply: Reply) -> str:
    return "\n".join(message.get("text", "") for message in reply)


@pytest.fixture
def new_sender() -> Callable[[], str]:
    counter = iter(range(1_000_000))
    return lambda: f"test-{id(counter)}-{next(counter)}"


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    """A redis-server on loopback for the whole session (see tests/redis_server.py)."""
    from redis_server import running_redis

    with running_redis() as port:
        yield port


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server on loopback for the whole session (see tests/postgres_server.py)."""
    from postgres_server import running_postgres

    with running_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def cluster(
    redis_port: int, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Two Rasa servers and an action server sharing Redis (tests/cluster.py); they record
    clinic insights into PostgreSQL."""
    from cluster import Cluster

    from bot import launcher

    if not launcher.MODEL.exists():
        pytest.fail("No trained model: run `make test`, which trains first.")
    running = Cluster(redis_port, tmp_path_factory.mktemp("cluster"), postgres_url)
    try:
        running.start()
        yield running
    finally:
        running.stop()
