"""A Rasa tokenizer for Vietnamese as residents type it.

Tokens keep exact character offsets into the original message (entities are spans of what the
resident wrote), while each token's lemma is the folded, diacritic-free form from
`nlu.normalise`. Rasa's CountVectorsFeaturizer reads lemmas by default, so "lý lịch tư pháp" and
"ly lich tu phap" give the same features.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.normalise import fold

# Letters (with any combining marks), digits, and the punctuation that lives inside a dossier code
# or a date ("000.00.12.H26-250721-0001", "15/12") stay in one token.
_TOKEN = re.compile(r"\w+(?:[./:-]\w+)*", re.UNICODE)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Splits on words, keeps offsets, and puts the folded form in each token's lemma."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Rasa's tokenizer options (as in WhitespaceTokenizer).
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # A resident's question fits in far fewer tokens; the rest of a pasted wall of text
            # is ignored so that one huge message cannot slow the server down for everyone.
            "max_tokens": 200,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = [
            Token(m.group(0), m.start(), lemma=fold(m.group(0)))
            for m in _TOKEN.finditer(text)
        ][: self._config["max_tokens"]]
        if not tokens and text.strip():
            # Emoji or punctuation only: one token, so that featurizers still see something.
            stripped = text.strip()
            tokens = [Token(stripped, text.index(stripped), lemma=stripped)]
        return self._apply_token_pattern(tokens)
