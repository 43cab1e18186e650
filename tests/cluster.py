"""The multi-server layout of README "Deployment", started for the tests on loopback.

A redis-server, one action server and two Rasa servers sharing Redis tracker and lock stores
(`endpoints.redis.yml`), each writing its log to a file the privacy tests read. Server A has
rate limits high enough for load tests; server B has the default per-conversation limit.
Both have Rasa's HTTP API on, with a token.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Tuple

from bot import launcher
from tools.endpoints import write_endpoints

_BASE = int(os.environ.get("TEST_PORT_BASE", "5100"))
# Clear of the `servers` fixture's base+5 and base+55.
RASA_PORTS = (_BASE + 10, _BASE + 11)
ACTIONS_PORT = _BASE + 60
WEBHOOK = "/webhooks/rest/webhook"


def post(
    port: int, body: bytes, path: str = WEBHOOK, timeout: float = 60
) -> Tuple[int, Dict[str, str], Any]:
    """POSTs raw bytes; returns the status, the headers and the JSON body (or the raw text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        raw = answer.read()
        headers = {key.lower(): value for key, value in answer.getheaders()}
    finally:
        connection.close()
    try:
        return answer.status, headers, json.loads(raw)
    except ValueError:
        return answer.status, headers, raw.decode("utf-8", "replace")


def get(port: int, path: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode()
    finally:
        connection.close()


def send(port: int, sender: str, message: str, **extra: Any) -> List[Dict[str, Any]]:
    raw = json.dumps({"sender": sender, "message": message, **extra}).encode()
    status, _, reply = post(port, raw)
    assert status == 200, (status, reply)
    return reply


@dataclass
class Cluster:
    redis_port: int
    workdir: Path
    insights_db_url: str
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    processes: Dict[str, Any] = field(default_factory=dict)
    logs: Dict[str, Path] = field(default_factory=dict)
    _files: List[IO] = field(default_factory=list)

    @property
    def endpoints(self) -> Path:
        return self.workdir / "endpoints.redis.yml"

    def env_for(self, name: str) -> Dict[str, str]:
        env = {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis_port),
            "REDIS_PASSWORD": "",
            "RASA_API_ENABLED": "true",
            "RASA_API_TOKEN": self.token,
            "RATE_LIMIT_CLIENT_PER_MINUTE": "0",
            "INSIGHTS_DB_URL": self.insights_db_url,
            # The staff page stays off here: /insights answers 404 without a token.
            "INSIGHTS_TOKEN": "",
        }
        if name == "rasa_a":
            env["RATE_LIMIT_CONVERSATION_PER_MINUTE"] = "0"
        return env

    def _log(self, name: str) -> IO:
        path = self.logs.setdefault(name, self.workdir / f"{name}.log")
        handle = open(path, "ab")
        self._files.append(handle)
        return handle

    def port(self, name: str) -> int:
        return {"rasa_a": RASA_PORTS[0], "rasa_b": RASA_PORTS[1]}[name]

    def start_actions(self) -> None:
        process = launcher.start_action_server(ACTIONS_PORT, log=self._log("actions"))
        self.processes["actions"] = process
        launcher.wait_until_ready(f"http://localhost:{ACTIONS_PORT}/health", process, 180)

    def stop_actions(self) -> None:
        launcher.stop([self.processes["actions"]])

    def start_rasa(self, *names: str) -> None:
        for name in names:
            self.processes[name] = launcher.start_rasa_server(
                self.port(name), self.endpoints, self.env_for(name), self._log(name)
            )
        for name in names:
            url = f"http://localhost:{self.port(name)}/webhooks/rest/"
            launcher.wait_until_ready(url, self.processes[name], launcher.READY_TIMEOUT_S)

    def stop_rasa(self, name: str) -> None:
        launcher.stop([self.processes[name]])

    def start(self) -> None:
        write_endpoints(self.workdir, ACTIONS_PORT, self.redis_port)
        self.start_actions()
        self.start_rasa("rasa_a", "rasa_b")

    def stop(self) -> None:
        launcher.stop(list(self.processes.values()))
        for handle in self._files:
            handle.close()

    def log_sizes(self) -> Dict[str, int]:
        """Where each log ends now: pass to `log_text` to read only what comes after."""
        return {name: path.stat().st_size for name, path in self.logs.items()}

    def log_text(self, since: Optional[Dict[str, int]] = None) -> Dict[str, str]:
        for handle in self._files:
            if not handle.closed:
                handle.flush()
        texts = {}
        for name, path in self.logs.items():
            with open(path, "rb") as log:
                log.seek((since or {}).get(name, 0))
                texts[name] = log.read().decode("utf-8", "replace")
        return texts
