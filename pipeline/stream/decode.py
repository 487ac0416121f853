"""Moved: decoding lives in ``pipeline.ingest.decode`` (one home for wire formats). Kept as an alias
so code written against the old name still imports."""

from pipeline.ingest.decode import REASONS, decode_article

__all__ = ["REASONS", "decode_article"]
