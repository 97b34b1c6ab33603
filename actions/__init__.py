"""The action server (rasa-sdk): `python -m rasa_sdk --actions actions`."""
