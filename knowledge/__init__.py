"""Procedure records (knowledge/procedures/*.yaml), their schema and their search."""
