from pathlib import Path

import pytest
import yaml

from knowledge.records import PROCEDURES_DIR, RecordError, load_procedure, load_procedures


def test_every_shipped_record_is_valid() -> None:
    records = load_procedures()
    assert len(records) >= 8
    assert len({r.code for r in records}) == len(records)


def _copy_with(tmp_path: Path, name: str, **changes: object) -> Path:
    source = PROCEDURES_DIR / "dang-ky-khai-sinh.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_an_invalid_field_is_named_with_its_file(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "dang-ky-khai-sinh", fee={"summary": "x", "amount_vnd": -5})
    expected = r"dang-ky-khai-sinh\.yaml: fee\.summary.*fee\.amount_vnd"
    with pytest.raises(RecordError, match=expected):
        load_procedure(path)


def test_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "dang-ky-khai-sinh", price="free")
    with pytest.raises(RecordError, match="price: Extra inputs are not permitted"):
        load_procedure(path)


def test_the_code_must_match_the_file_name(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "another-name")
    with pytest.raises(RecordError, match="must equal the file name"):
        load_procedure(path)


def test_broken_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("code: [unclosed", encoding="utf-8")
    with pytest.raises(RecordError, match=r"broken\.yaml: not valid YAML"):
        load_procedure(path)
