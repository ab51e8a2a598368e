"""Synthetic Welsh population (the truth) and the source extracts derived from it."""
