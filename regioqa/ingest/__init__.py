"""Readers of article sources, one module per kind: page dumps, plain text and JSONL records, saved HTML
pages, RSS/Atom feeds and Parquet/CSV tables. :mod:`regioqa.corpus` picks the reader by file suffix."""
