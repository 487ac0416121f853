"""Elasticsearch: index setup, documents, the bulk writer and the one read path.

For the stream worker: ``client.make_async_client``, ``schema.ensure_indices``, ``writer.write_articles``
(-> ``WriteReport``; raises ``pipeline.errors.TransientError``). For the CLI and the HTTP API:
``queries.QuoteQuery`` and ``search.search_quotes`` / ``suggest_people`` / ``list_countries`` /
``get_article``. Nothing here connects at import. See docs/search.md.
"""
