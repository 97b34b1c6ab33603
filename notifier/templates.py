"""Rendering SMS Brandname texts from `templates/sms.yaml`, within GSM-7 and two segments."""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.normalise import nfc, strip_diacritics
from notifier.events import Step
from notifier.gsm7 import NotGsm7, segments

SMS_TEMPLATES = Path(__file__).parent / "templates" / "sms.yaml"
MAX_SEGMENTS = 2


class TemplateError(ValueError):
    pass


class SmsTemplates:
    def __init__(self, path: Path = SMS_TEMPLATES) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.version: int = data["version"]
        self._steps: dict[str, str] = data["steps"]
        missing = {step.value for step in Step} - set(self._steps)
        if missing:
            raise TemplateError(f"{path}: no template for steps {sorted(missing)}")

    def render(self, step: Step, dossier_code: str, procedure: str) -> str:
        """The unaccented text; a long procedure name is shortened to fit two segments."""
        template = self._steps[step.value]
        name = strip_diacritics(nfc(procedure))
        fixed = len(template.format(dossier_code=dossier_code, procedure=""))
        room = MAX_SEGMENTS * 153 - fixed
        if len(name) > room:
            name = name[: max(room - 3, 0)].rstrip() + "..."
        text = template.format(dossier_code=dossier_code, procedure=name)
        try:
            too_long = segments(text) > MAX_SEGMENTS
        except NotGsm7 as e:
            raise TemplateError(f"{step.value}: {e}") from e
        if too_long:
            raise TemplateError(f"{step.value}: needs more than {MAX_SEGMENTS} segments")
        return text
