"""The real processes, started once per test session on free ports.

Rasa 3.6 (Python 3.10, the trained model named by RASA_MODEL) calls the rasa-sdk action server
(this Python); our service forwards the web chat to Rasa and sends SMS through the real `twilio`
library to a local Twilio stand-in. `make test` sets RASA_BIN and RASA_MODEL.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import BACKENDS, Backend, drop_schema
from tests.fakes.threaded_server import ThreadedServer
from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).parents[2]
EVENTS_SECRET = "e2e-events-secret"
INTERNAL_TOKEN = "e2e-internal-token-0123456789"
API_KEY = "e2e:live:e2e-api-secret-0123456789"
START_TIMEOUT_S = 240
# Quiet hours would hold messages back when the tests run at night in Hanoi.
NO_QUIET_HOURS = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def start(name: str, command: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, popen, log)


def wait_until_ready(process: Process, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{process.name} not ready at {url} after {START_TIMEOUT_S} s:\n{process.tail()}")


@dataclass(frozen=True)
class Bot:
    rasa_url: str
    action_url: str
    lookup_port: int  # where the action server asks for dossier lookups (see `dossier_service`)


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def bot(logs: Path) -> Iterator[Bot]:
    """The Rasa server with the trained model, and the action server it calls."""
    rasa_bin, model = os.environ.get("RASA_BIN"), os.environ.get("RASA_MODEL")
    if not (rasa_bin and model and Path(model).exists()):
        pytest.fail("RASA_BIN and RASA_MODEL must name Rasa and a trained model: run `make test`")
    action_port, rasa_port, lookup_port = free_port(), free_port(), free_port()
    actions = start(
        "actions",
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        {"DVC_SERVICE_URL": f"http://127.0.0.1:{lookup_port}",
         "INTERNAL_API_TOKEN": INTERNAL_TOKEN},
        logs,
    )
    rasa = start(
        "rasa",
        [rasa_bin, "run", "--model", model, "--port", str(rasa_port), "--interface", "127.0.0.1",
         "--enable-api", "--credentials", "bot/credentials.yml",
         "--endpoints", "bot/endpoints.yml"],
        {"ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook"}, logs,
    )
    try:
        wait_until_ready(actions, f"http://127.0.0.1:{action_port}/health")
        wait_until_ready(rasa, f"http://127.0.0.1:{rasa_port}/status")
        yield Bot(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", lookup_port)
    finally:
        rasa.stop()
        actions.stop()


@pytest.fixture(scope="session")
def twilio() -> Iterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    server = ThreadedServer(fake.app())
    url = server.start()
    yield fake, url
    server.stop()


@dataclass(frozen=True)
class Service:
    url: str
    backend: Backend


@pytest.fixture(scope="session", params=BACKENDS, ids=[b.name for b in BACKENDS])
def service(
    request: pytest.FixtureRequest,
    bot: Bot,
    twilio: tuple[FakeTwilio, str],
    logs: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    """Our service as `python -m service`, once per persistence backend."""
    backend: Backend = request.param
    fake, twilio_url = twilio
    port = free_port()
    env = {
        "SERVICE_PORT": str(port),
        "RASA_URL": bot.rasa_url,
        "DATA_DIR": str(tmp_path_factory.mktemp(f"data-{backend.name}")),
        "NOTIFIER_EVENTS_SECRET": EVENTS_SECRET,
        "NOTIFIER_STREAM": f"e2e:{port}",
        "SMS_PROVIDERS": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": twilio_url,
        **NO_QUIET_HOURS,
        "DATABASE_URL": backend.database_url or "",
        "REDIS_URL": backend.redis_url or "",
        "DATABASE_SCHEMA": f"e2e_{port}" if backend.database_url else "",
    }
    process = start(f"service-{backend.name}", [sys.executable, "-m", "service"], env, logs)
    try:
        wait_until_ready(process, f"http://127.0.0.1:{port}/health")
        yield Service(f"http://127.0.0.1:{port}", backend)
    finally:
        process.stop()
        if backend.database_url:
            asyncio.run(drop_schema(backend.database_url, env["DATABASE_SCHEMA"]))


@pytest.fixture(scope="session")
def dossier_service(
    bot: Bot, logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """Our service (embedded defaults) on the port the action server asks for dossier lookups:
    the whole path web chat → Rasa → action server → our lookup → the mirror of step events."""
    env = {
        "SERVICE_PORT": str(bot.lookup_port),
        "RASA_URL": bot.rasa_url,
        "DATA_DIR": str(tmp_path_factory.mktemp("data-dossiers")),
        "NOTIFIER_EVENTS_SECRET": EVENTS_SECRET,
        "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
        "NOTIFIER_API_KEYS": API_KEY,
        **NO_QUIET_HOURS,
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    process = start("service-dossiers", [sys.executable, "-m", "service"], env, logs)
    try:
        wait_until_ready(process, f"http://127.0.0.1:{bot.lookup_port}/health")
        yield Service(f"http://127.0.0.1:{bot.lookup_port}", BACKENDS[0])
    finally:
        process.stop()
