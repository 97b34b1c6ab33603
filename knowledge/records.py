"""Loading and validating the procedure records shipped in `knowledge/procedures/`."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.schema import Procedure

PROCEDURES_DIR = Path(__file__).parent / "procedures"


class RecordError(ValueError):
    """A record file that cannot be used; the message names the file and the field."""


def load_procedure(path: Path) -> Procedure:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise RecordError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected a mapping at the top level")
    try:
        record = Procedure.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(record)'}: {err['msg']}"
            for err in e.errors()
        )
        raise RecordError(f"{path}: {problems}") from e
    if record.code != path.stem:
        raise RecordError(f"{path}: code: '{record.code}' must equal the file name '{path.stem}'")
    return record


def load_procedures(directory: Path = PROCEDURES_DIR) -> list[Procedure]:
    """Every record in `directory`, sorted by code; the first invalid file raises RecordError."""
    return [load_procedure(path) for path in sorted(directory.glob("*.yaml"))]
