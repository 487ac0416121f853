"""Wire formats and decoding, in one place: bytes (a file, a Kafka message) -> ``Article`` | ``BadArticle``.

Used by every entry point (``quotewire feed``, ``quotewire enrich``, the stream worker), so what one
accepts the others accept too. Pure: no I/O beyond what a caller hands in, no Faust, no spaCy.
"""
