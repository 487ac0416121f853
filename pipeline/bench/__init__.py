"""Benchmarks: quote/speaker evaluation against annotated sets, and enrichment speed vs bare spaCy."""
