"""The NLU benchmark's held-out sets must stay out of the training data: the project's own
split and the blind sets written from the product's purpose alone."""

import difflib
from pathlib import Path

import pytest

from bench.nlu.run import TEST_DATA, load_examples
from nlu.normalise import fold

TRAINING_DATA = Path(__file__).parents[2] / "bot" / "data" / "nlu.yml"
BLIND = [TEST_DATA.parent / "blind_dev.yml", TEST_DATA.parent / "blind_final.yml"]


@pytest.mark.parametrize("held_out_file", [TEST_DATA, *BLIND], ids=lambda p: p.name)
def test_no_held_out_example_is_in_the_training_data(held_out_file: Path) -> None:
    training = [fold(e.text) for e in load_examples(TRAINING_DATA)]
    held_out = [fold(e.text) for e in load_examples(held_out_file)]
    assert len(held_out) >= 200
    # Greetings and one-word replies ("ok", "không") are the same in any set; longer lines must
    # not be, nor nearly so.
    leaked = [
        text for text in held_out
        if len(text.split()) > 2 and (
            text in training or difflib.get_close_matches(text, training, n=1, cutoff=0.9)
        )
    ]
    assert leaked == []
