"""Rasa's own test stories (tests/stories/) with the trained model and the real action server.

`rasa test core` reads each story's messages through the model's NLU, predicts every action and
runs our custom actions on the action server of the `bot` fixture; one wrong intent, entity or
action fails the story and the test, which prints Rasa's report of it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.conftest import ROOT, Bot

STORIES = ROOT / "tests" / "stories"
TEST_TIMEOUT_S = 400


def test_the_conversation_stories_hold(bot: Bot, tmp_path: Path) -> None:
    result = subprocess.run(
        [os.environ["RASA_BIN"], "test", "core", "--model", os.environ["RASA_MODEL"],
         "--stories", str(STORIES), "--endpoints", "bot/endpoints.yml",
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT, env={**os.environ, "ACTION_ENDPOINT_URL": f"{bot.action_url}/webhook"},
        capture_output=True, text=True, timeout=TEST_TIMEOUT_S, check=False,
    )
    failed = tmp_path / "failed_test_stories.yml"
    report = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, f"{report}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "# None of the test stories failed" in report or not report.strip()
