"""The NLU benchmark's held-out split must stay out of the training data."""

import difflib
from pathlib import Path

from bench.nlu.run import TEST_DATA, load_examples
from nlu.normalise import fold

TRAINING_DATA = Path(__file__).parents[2] / "bot" / "data" / "nlu.yml"


def test_no_held_out_example_is_in_the_training_data() -> None:
    training = [fold(e.text) for e in load_examples(TRAINING_DATA)]
    held_out = [fold(e.text) for e in load_examples(TEST_DATA)]
    assert len(held_out) >= 200
    leaked = [
        text for text in held_out
        if text in training or difflib.get_close_matches(text, training, n=1, cutoff=0.9)
    ]
    assert leaked == []
