"""Low confidence for messages made only of words never seen in training.

DIET is confidently wrong on gibberish ("qwzx plmk" came out as `affirm` at 0.93): softmax spreads
no doubt over inputs it has no features for. This component, placed between DIET and the
FallbackClassifier, sets the intent confidence (and the whole ranking's) to 0 when no token of the
message (by its folded, expanded lemma) occurred in the training data, so that the two-stage
fallback asks to rephrase instead of guessing a meaning.
Tokens with digits (codes, phone numbers, dates) count as known.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Set

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class UnknownWordsClassifier(GraphComponent, IntentClassifier):
    def __init__(
        self, vocabulary: Set[str], model_storage: ModelStorage, resource: Resource
    ) -> None:
        self._vocabulary = vocabulary
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsClassifier:
        return cls(set(), model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsClassifier:
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(set(words), model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._vocabulary = {
            lemma for message in training_data.training_examples for lemma in _lemmas(message)
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self._vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            lemmas = _lemmas(message)
            intent = message.get(INTENT)
            # No token at all (emoji, punctuation) is as unknown as tokens never seen.
            if intent and not any(self._known(lemma) for lemma in lemmas):
                message.set(INTENT, {**intent, "confidence": 0.0}, add_to_output=True)
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.set(
                    INTENT_RANKING_KEY,
                    [{**entry, "confidence": 0.0} for entry in ranking],
                    add_to_output=True,
                )
        return messages

    def _known(self, lemma: str) -> bool:
        return lemma in self._vocabulary or any(ch.isdigit() for ch in lemma)


def _lemmas(message: Message) -> List[str]:
    return [token.lemma for token in message.get(TOKENS_NAMES[TEXT]) or []]
