"""Vietnamese NLU: normalisation shared by both runtimes, and Rasa components."""
