import pytest

from knowledge.records import load_procedures
from knowledge.search import ProcedureSearch


@pytest.fixture(scope="module")
def search() -> ProcedureSearch:
    return ProcedureSearch(load_procedures())


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("làm lý lịch tư pháp cần giấy tờ gì", "cap-phieu-ly-lich-tu-phap"),
        ("lam ly lich tu phap o dau", "cap-phieu-ly-lich-tu-phap"),
        ("đăng ký khai sinh cho con", "dang-ky-khai-sinh"),
        ("dang ky ket hon mat bao lau", "dang-ky-ket-hon"),
        ("đăng ký tạm trú", "dang-ky-tam-tru"),
        ("làm giấy chứng tử cho bố", "dang-ky-khai-tu"),
    ],
)
def test_finds_the_procedure_asked_about(search: ProcedureSearch, question: str, code: str) -> None:
    hits = search.search(question, k=3)
    assert hits[0].code == code
    assert hits == sorted(hits, key=lambda h: -h.score)


@pytest.mark.parametrize("query", ["", "   ", "🙂", "xyzzy qwerty"])
def test_nothing_known_finds_nothing(search: ProcedureSearch, query: str) -> None:
    assert search.search(query) == []


def test_a_huge_query_is_answered(search: ProcedureSearch) -> None:
    hits = search.search("lý lịch tư pháp " + "rất " * 5000)
    assert hits[0].code == "cap-phieu-ly-lich-tu-phap"


def test_get_by_code(search: ProcedureSearch) -> None:
    procedure = search.get("dang-ky-khai-sinh")
    assert procedure is not None and procedure.code == "dang-ky-khai-sinh"
    assert search.get("no-such-code") is None


def test_name_coverage_prefers_the_record_whose_whole_name_was_said() -> None:
    """Both variants share every word of "nhận cha mẹ con"; only the plain one is all said."""
    records = load_procedures()
    search = ProcedureSearch(records)
    plain, foreign = "dang-ky-nhan-cha-me-con", "dang-ky-nhan-cha-me-con-co-yeu-to-nuoc-ngoai"
    signals = search.signals("thủ tục nhận cha mẹ con")
    assert signals is not None
    index = {record.code: i for i, record in enumerate(records)}
    assert signals.coverage[index[plain]] == pytest.approx(1.0)
    assert signals.coverage[index[foreign]] < 0.8
    assert search.search("thủ tục nhận cha mẹ con", k=1)[0].code == plain
    assert search.search("nhận cha mẹ con với người nước ngoài", k=1)[0].code == foreign


def test_a_record_named_in_full_is_not_asked_about(search: ProcedureSearch) -> None:
    """Close scores alone would ask "which one?"; naming one record in full settles it."""
    hits = search.search("đăng ký khai sinh cần giấy tờ gì", k=3)
    assert hits[0].code == "dang-ky-khai-sinh" and hits[0].named
    assert not search.is_ambiguous(hits)
    both_named = search.search("sổ đỏ", k=3)
    assert both_named[0].named and both_named[1].named
    assert search.is_ambiguous(both_named)
