"""Our Rasa components, built through Rasa's own graph classes (Python 3.10 runtime)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.extractor import VietnameseEntityExtractor
from nlu.tokenizer import VietnameseTokenizer


def create(component: Any, tmp_path: Any, **config: Any) -> Any:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return component.create(
        {**component.get_default_config(), **config}, storage, Resource("c"), context
    )


def tokens(text: str, tmp_path: Any, **config: Any) -> List[Dict[str, Any]]:
    tokenizer = create(VietnameseTokenizer, tmp_path, **config)
    message = Message({TEXT: text})
    return [
        {"text": t.text, "start": t.start, "end": t.end, "lemma": t.lemma}
        for t in tokenizer.tokenize(message, TEXT)
    ]


def test_offsets_are_exact_and_lemmas_folded(tmp_path: Any) -> None:
    text = "Làm Lý lịch  tư pháp ở đâu?"
    result = tokens(text, tmp_path)
    assert [text[t["start"] : t["end"]] for t in result] == [t["text"] for t in result]
    assert [t["lemma"] for t in result] == ["lam", "ly", "lich", "tu", "phap", "o", "dau"]


def test_accented_and_unaccented_give_the_same_lemmas(tmp_path: Any) -> None:
    lemmas = [[t["lemma"] for t in tokens(s, tmp_path)]
              for s in ("đăng ký tạm trú", "dang ky tam tru", "Đăng Ký Tạm Trú")]
    assert lemmas[0] == lemmas[1] == lemmas[2]


def test_abbreviations_expand_into_tokens_on_the_same_span(tmp_path: Any) -> None:
    result = tokens("lltp ko dc à", tmp_path)
    assert [t["lemma"] for t in result] == ["ly", "lich", "tu", "phap", "khong", "duoc", "a"]
    assert {(t["start"], t["end"]) for t in result[:4]} == {(0, 4)}


def test_codes_and_dates_stay_one_token(tmp_path: Any) -> None:
    result = tokens("mã 000.00.12.H26-250721-0001 ngày 15/12", tmp_path)
    assert [t["text"] for t in result] == ["mã", "000.00.12.H26-250721-0001", "ngày", "15/12"]


def test_pyvi_joins_words_when_configured(tmp_path: Any) -> None:
    result = tokens("làm lý lịch tư pháp", tmp_path, segmenter="pyvi")
    assert [t["text"] for t in result] == ["làm", "lý lịch", "tư pháp"]
    assert [t["lemma"] for t in result] == ["lam", "ly_lich", "tu_phap"]


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "<b>", "\x00\x01"])
def test_empty_or_symbol_only_text_does_not_crash(text: str, tmp_path: Any) -> None:
    result = tokens(text, tmp_path)
    assert len(result) <= 1


def test_a_huge_message_is_cut_to_max_tokens(tmp_path: Any) -> None:
    assert len(tokens("lý lịch " * 10_000, tmp_path)) == 200


def test_unknown_segmenter_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="segmenter"):
        create(VietnameseTokenizer, tmp_path, segmenter="jieba")


def test_extractor_replaces_model_guesses_for_its_entities(tmp_path: Any) -> None:
    extractor = create(VietnameseEntityExtractor, tmp_path)
    text = "hồ sơ 000.00.12.H26-250721-0001 của lý lịch tư pháp"
    message = Message({TEXT: text})
    message.set(ENTITIES, [
        {"entity": "dossier_code", "start": 6, "end": 20, "value": "000.00.12.H26-"},
        {"entity": "procedure", "start": 36, "end": 51, "value": "lý lịch tư pháp"},
    ])
    [processed] = extractor.process([message])
    entities = processed.get(ENTITIES)
    assert {e["entity"]: e["value"] for e in entities} == {
        "dossier_code": "000.00.12.H26-250721-0001",
        "procedure": "lý lịch tư pháp",
    }
    ours = [e for e in entities if e["entity"] == "dossier_code"]
    assert ours[0]["extractor"] == "VietnameseEntityExtractor"


def test_messages_of_unknown_words_lose_their_confidence(tmp_path: Any) -> None:
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.shared.nlu.constants import INTENT
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.unknown_words import UnknownWordsClassifier

    tokenizer = create(VietnameseTokenizer, tmp_path)
    training = TrainingData([Message({TEXT: t, INTENT: "greet"}) for t in ("xin chào", "hello")])
    tokenizer.process_training_data(training)
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), "test")
    resource = Resource("unknown")
    UnknownWordsClassifier.create({}, storage, resource, context).train(training)
    classifier = UnknownWordsClassifier.load({}, storage, resource, context)

    def confidence(text: str) -> float:
        message = Message({TEXT: text})
        message.set(INTENT, {"name": "affirm", "confidence": 0.93})
        message.set("intent_ranking", [{"name": "affirm", "confidence": 0.93}])
        message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
        [processed] = classifier.process([message])
        # The fallback's "did you mean …?" reads the ranking: it must not offer a guess either.
        [ranked] = processed.get("intent_ranking")
        assert ranked["confidence"] == processed.get(INTENT)["confidence"]
        return float(processed.get(INTENT)["confidence"])

    assert confidence("qwzx plmk vbnj") == 0.0
    assert confidence("🙂🙂") == 0.0
    assert confidence("xin chao qwzx") == 0.93  # one known word is enough
    assert confidence("0912345678") == 0.93  # numbers count as known
