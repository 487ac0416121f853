"""Enrichment speed vs bare spaCy, on the same article sample, in one run.

    python -m pipeline.bench.enrich_speed [--corpus NAME ...] [--articles N] [--batch-size B] [--rounds R]

Reads ``../shared/data/corpora/<name>.jsonl`` (resolved from the repo root; default: every corpus
there), takes the first N articles of each, and times, alternately over R rounds (so that machine noise
hits both sides alike): ``nlp.pipe`` over the raw texts (bare spaCy), and ``Enricher.enrich_many`` (wire
normalisation + the same ``nlp.pipe`` + entities, quotes, speakers, roles, countries). Prints
articles/s for both and the ratio; the target is enrichment >= 0.8x bare spaCy.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.bench.corpora import CORPORA, read_records
from pipeline.settings import load_settings


def measure(corpus: Path, n: int, batch_size: int, rounds: int) -> dict[str, float]:
    from pipeline.enrich import PARAGRAPH_BREAKS, Enricher
    from pipeline.models import Article

    enricher = Enricher.load(load_settings())
    nlp = enricher.nlp
    records = read_records(corpus, n, with_text=True)
    # id and text only: the corpora's own date formats are not the contract's
    articles = [Article(id=str(r["id"]), text=str(r["text"])) for r in records]
    texts = [a.text for a in articles]
    # warm-up: first-call costs (lexicons, caches) are not throughput
    enricher.enrich_many(articles[:8], batch_size)
    bare = full = 0.0
    quotes = 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        # bare = the stock pipeline: without the enricher's paragraph-break component
        with nlp.select_pipes(disable=[PARAGRAPH_BREAKS]):
            for _doc in nlp.pipe(texts, batch_size=batch_size):
                pass
        t1 = time.perf_counter()
        enriched = enricher.enrich_many(articles, batch_size)
        t2 = time.perf_counter()
        bare += t1 - t0
        full += t2 - t1
        quotes = sum(len(e.quotes) for e in enriched)
    total = len(articles) * rounds
    return {
        "articles": len(articles),
        "rounds": rounds,
        "bare_per_s": total / bare,
        "enrich_per_s": total / full,
        "ratio": bare / full,
        "quotes": quotes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", action="append", help="corpus name (file stem) under shared/data/corpora")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    names = args.corpus or sorted(p.stem for p in CORPORA.glob("*.jsonl"))
    for name in names:
        res = measure(CORPORA / f"{name}.jsonl", args.articles, args.batch_size, args.rounds)
        print(
            f"{name}: {res['articles']} articles x {res['rounds']} rounds: "
            f"bare nlp.pipe {res['bare_per_s']:.1f} articles/s, "
            f"enrichment {res['enrich_per_s']:.1f} articles/s, "
            f"ratio {res['ratio']:.2f}x ({res['quotes']} quotes)"
        )


if __name__ == "__main__":
    main()
