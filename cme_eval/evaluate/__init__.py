"""Evaluation: the published tables, and what only the synthetic truth can tell."""
