"""A Rasa entity extractor for what rules do better than a model (see `nlu.entities`).

It runs after DIET and replaces DIET's guesses for the entity types it owns, so that a dossier
code or a phone number is never half-extracted, and every value is normalised: dossier codes in
upper case, phones in E.164, dates and times in ISO 8601 (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.entities import find_entities


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class VietnameseEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Entity types this extractor owns: other extractors' entities of these types are
            # dropped from the message.
            "entities": [
                "dossier_code", "phone", "time", "service_point", "person_name", "aspect",
            ],
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._owned = set(config["entities"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseEntityExtractor:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = [
                {"entity": e.entity, "start": e.start, "end": e.end, "value": e.value}
                for e in find_entities(message.get(TEXT) or "")
                if e.entity in self._owned
            ]
            kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in self._owned]
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
        return messages
