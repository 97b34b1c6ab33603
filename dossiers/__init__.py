"""Dossier status: where a resident's dossier is, from the city's records, shown only after
verification."""
