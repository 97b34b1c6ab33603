"""Rendering SMS Brandname texts from `templates/sms.yaml`, within GSM-7 and two segments."""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.normalise import nfc, strip_diacritics
from notifier.events import Step

SMS_TEMPLATES = Path(__file__).parent / "templates" / "sms.yaml"
MAX_SEGMENTS = 2
# Characters of the GSM 03.38 basic set that count as one septet each. The extension characters
# ({}[]~^|\€) count as two and are not used by our templates, so a render with them is refused.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class TemplateError(ValueError):
    pass


def segments(text: str) -> int:
    """Number of GSM-7 SMS segments: 160 septets in one, 153 in each part of a longer one."""
    if any(ch not in GSM7_BASIC for ch in text):
        raise TemplateError("text is not GSM-7")
    return 1 if len(text) <= 160 else -(-len(text) // 153)


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
        if segments(text) > MAX_SEGMENTS:
            raise TemplateError(f"{step.value}: needs more than {MAX_SEGMENTS} segments")
        return text
