"""A Rasa tokenizer for Vietnamese as residents type it.

Tokens keep exact character offsets into the original message (entities are spans of what the
resident wrote), while each token's lemma is the folded, diacritic-free form from
`nlu.normalise`, with abbreviations and teencode expanded (`nlu.lexicon`): "lltp" becomes the
tokens "ly", "lich", "tu", "phap", all spanning "lltp". Rasa's CountVectorsFeaturizer reads
lemmas by default, so "lý lịch tư pháp", "ly lich tu phap" and "lltp" give the same features.

With `segmenter: pyvi`, syllables that pyvi joins into a word ("lý_lịch") become one token whose
lemma is "ly_lich". pyvi only joins text with diacritics, so this is off by default; the
benchmark in bench/nlu measures both (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.lexicon import default_lexicon
from nlu.normalise import fold

# Letters (with any combining marks), digits, and the punctuation that lives inside a dossier code,
# a date or an abbreviation ("000.00.12.H26-250721-0001", "15/12", "a/c") stay in one token.
_TOKEN = re.compile(r"\w+(?:[./:-]\w+)*", re.UNICODE)

Span = Tuple[int, int]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Splits into syllables (or pyvi words), keeps offsets, puts folded expansions in lemmas."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Rasa's tokenizer options (as in WhitespaceTokenizer).
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # "none": syllables; "pyvi": pyvi's word segmentation.
            "segmenter": "none",
            # Expand abbreviations and teencode from nlu/data/abbreviations.yaml.
            "expand_abbreviations": True,
            # A resident's question fits in far fewer tokens; the rest of a pasted wall of text
            # is ignored so that one huge message cannot slow the server down for everyone.
            "max_tokens": 200,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__(config)
        if config["segmenter"] not in ("none", "pyvi"):
            raise ValueError(f"segmenter must be 'none' or 'pyvi', not {config['segmenter']!r}")

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute) or ""
        spans = [m.span() for m in _TOKEN.finditer(text)][: self._config["max_tokens"]]
        if self._config["segmenter"] == "pyvi":
            spans = _join_words(text, spans)
        tokens = self._tokens(text, spans)
        if not tokens and text.strip():
            # Emoji or punctuation only: one token, so that featurizers still see something.
            stripped = text.strip()
            tokens = [Token(stripped, text.index(stripped), lemma=stripped)]
        return self._apply_token_pattern(tokens)

    def _tokens(self, text: str, spans: List[Span]) -> List[Token]:
        lemmas = [fold(text[start:end]).replace(" ", "_") for start, end in spans]
        lexicon = default_lexicon() if self._config["expand_abbreviations"] else None
        tokens: List[Token] = []
        for index, (start, end) in enumerate(spans):
            expansion = lexicon.expand(lemmas, index) if lexicon else None
            for lemma in expansion or (lemmas[index],):
                tokens.append(Token(text[start:end], start, end, lemma=lemma))
        return tokens


def _join_words(text: str, spans: List[Span]) -> List[Span]:
    """Merge adjacent syllable spans that pyvi segments as one word."""
    from pyvi import ViTokenizer  # heavy import, only when configured

    syllables = [text[start:end] for start, end in spans]
    words = ViTokenizer.tokenize(" ".join(syllables)).split(" ")
    if sum(word.count("_") + 1 for word in words) != len(spans):
        return spans  # pyvi split something differently (punctuation inside a code): keep syllables
    joined: List[Span] = []
    position = 0
    for word in words:
        size = word.count("_") + 1
        joined.append((spans[position][0], spans[position + size - 1][1]))
        position += size
    return joined
