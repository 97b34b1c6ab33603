from knowledge.lookups import LOOKUPS_FILE, render


def test_the_lookup_tables_are_generated_from_the_current_knowledge_base() -> None:
    assert LOOKUPS_FILE.read_text(encoding="utf-8") == render(), (
        "bot/data/lookups.yml is out of date: run `python -m knowledge.lookups`"
    )


def test_lookups_hold_accented_and_folded_forms() -> None:
    text = render()
    assert "      - lý lịch tư pháp\n" in text
    assert "      - ly lich tu phap\n" in text
    assert "      - phường ba đình\n" in text
    assert "      - chi nhanh so 12\n" in text
