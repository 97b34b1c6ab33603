"""Message templates as data (`templates/messages.yaml`), rendered per channel.

SMS texts are unaccented GSM-7, at most two segments, and must match a wording approved for the
brandname (`templates/brandname.yaml`): the check runs on every template at start-up and on every
render. Push texts keep their diacritics and carry a deep link into the iHanoi app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.normalise import nfc
from notifier.gsm7 import NotGsm7, fit, segments, to_gsm7

TEMPLATES_DIR = Path(__file__).parent / "templates"
MAX_SEGMENTS = 2
MAX_BRANDNAME = 11
PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_VALUE_CHARS = 200


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    channel: str  # "sms" or "push"
    body: str
    title: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Template:
    name: str
    must_reach: bool  # also by SMS when the resident has the app
    urgent: bool  # sent during quiet hours
    sms: str
    push_title: str
    push_body: str
    push_link: str

    @property
    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.sms + self.push_body + self.push_link))


class BrandnameRegistry:
    """The brandname and the wordings the carriers approved for it ("{}": a variable part)."""

    def __init__(self, path: Path = TEMPLATES_DIR / "brandname.yaml") -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.brandname: str = data["brandname"]
        if not 0 < len(self.brandname) <= MAX_BRANDNAME:
            raise TemplateError(f"{path}: a brandname has 1 to {MAX_BRANDNAME} characters")
        self._approved = [
            re.compile(".+".join(re.escape(part) for part in wording.split("{}")), re.DOTALL)
            for wording in data["approved"]
        ]

    def approves(self, text: str) -> bool:
        return any(pattern.fullmatch(text) for pattern in self._approved)


class Templates:
    def __init__(
        self,
        path: Path = TEMPLATES_DIR / "messages.yaml",
        registry: BrandnameRegistry | None = None,
    ) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.version: int = data["version"]
        self.registry = registry or BrandnameRegistry()
        self._templates = {name: _template(name, spec) for name, spec in data["templates"].items()}
        for template in self._templates.values():
            self._check(template)

    def get(self, name: str) -> Template:
        try:
            return self._templates[name]
        except KeyError:
            raise TemplateError(f"no template named {name!r}") from None

    def render(self, name: str, channel: str, values: dict[str, str]) -> Rendered:
        """The text of template `name` for `channel`; a long value is shortened so that an SMS
        fits two segments. TemplateError names what is wrong."""
        template = self.get(name)
        missing = template.placeholders - set(values)
        if missing:
            raise TemplateError(f"{name}: missing values for {sorted(missing)}")
        clean = {key: nfc(str(value))[:MAX_VALUE_CHARS] for key, value in values.items()}
        if channel == "push":
            return Rendered(
                "push", template.push_body.format(**clean), template.push_title,
                template.push_link.format(**clean),
            )
        if channel != "sms":
            raise TemplateError(f"unknown channel {channel!r}")
        return Rendered("sms", self._sms(template, clean))

    def _sms(self, template: Template, values: dict[str, str]) -> str:
        plain = {key: to_gsm7(value) for key, value in values.items()}
        fixed = to_gsm7(template.sms.format(**{key: "" for key in plain}))
        # The longest value gives way first: for dossier steps, the procedure's name.
        longest = max(plain, key=lambda key: len(plain[key]), default=None)
        if longest is not None:
            others = sum(len(v) for k, v in plain.items() if k != longest)
            plain[longest] = fit(plain[longest], MAX_SEGMENTS, reserve=len(fixed) + others)
        text = template.sms.format(**plain)
        try:
            too_long = segments(text) > MAX_SEGMENTS
        except NotGsm7 as e:
            raise TemplateError(f"{template.name}: {e}") from e
        if too_long:
            raise TemplateError(f"{template.name}: needs more than {MAX_SEGMENTS} segments")
        if not self.registry.approves(text):
            raise TemplateError(f"{template.name}: text does not match an approved wording")
        return text

    def _check(self, template: Template) -> None:
        sample = {key: "x" for key in template.placeholders}
        if to_gsm7(template.sms) != template.sms:
            raise TemplateError(f"{template.name}: the SMS text must be unaccented GSM-7")
        self._sms(template, sample)


def _template(name: str, spec: dict[str, Any]) -> Template:
    try:
        return Template(
            name=name, must_reach=bool(spec["must_reach"]), urgent=bool(spec["urgent"]),
            sms=spec["sms"], push_title=spec["push"]["title"], push_body=spec["push"]["body"],
            push_link=spec["push"]["link"],
        )
    except (KeyError, TypeError) as e:
        raise TemplateError(f"template {name}: missing {e}") from e
