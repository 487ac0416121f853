"""The people registry: one person (or organisation) across articles, linked in the worker.

``linking`` holds the pure rules (mention -> person), ``registry`` the Elasticsearch side (real-time
reads, optimistic-concurrency writes), ``lookup`` the read path (``quotewire people``, ``/people``).
"""
