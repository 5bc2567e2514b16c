"""The text layer under both extraction and dedup: matching normalization, tokens, language id, their kernels.

Nothing here knows about pages, documents or indexes; `pipeline/extract/` and `pipeline/dedup/` both build
on it, and neither imports the other.
"""
