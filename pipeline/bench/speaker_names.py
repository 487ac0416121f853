"""How searchable are the published speaker names? A benchmark over unannotated corpora, not a test.

    python -m pipeline.bench.speaker_names [--corpus NAME ...] [--articles N] [--show N]
    python -m pipeline.bench.speaker_names --enriched FILE.jsonl     # output of `quotewire enrich`

Enriches the first N articles of ``../shared/data/corpora/<name>.jsonl`` (resolved from the repo root;
default: every corpus there), or reads already enriched articles, and prints per corpus: the quotes, the
share with a ``speaker.name``, and the names that are not names a reader would search for: lower-case
("the company"), a pronoun ("It"), a generic phrase opened by a determiner or a plural common noun
("The unions", "Analysts"), unbalanced brackets ("World Health Organisation (WHO") or a name that ends
in a lower-case word ("Arsenal vice"). The word lists are a heuristic of this benchmark only.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.settings import PROJECT_ROOT, load_settings

CORPORA = PROJECT_ROOT.parent / "shared" / "data" / "corpora"

_PRONOUNS = frozenset(
    [
        "i",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "me",
        "us",
        "him",
        "her",
        "them",
        "this",
        "that",
        "these",
        "those",
        "who",
        "one",
    ]
)
_OPENERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "some",
        "many",
        "several",
        "most",
        "all",
        "two",
        "three",
    ]
)
_GENERIC = frozenset(
    [
        "analyst",
        "analysts",
        "company",
        "firm",
        "group",
        "bank",
        "unions",
        "union",
        "officials",
        "official",
        "experts",
        "expert",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "sources",
        "source",
        "police",
        "government",
        "ministry",
        "department",
        "airline",
        "airlines",
        "passengers",
        "critics",
        "observers",
        "residents",
        "economists",
        "investors",
        "traders",
        "dealers",
    ]
)


def junk_reason(name: str) -> str | None:
    """Why ``name`` is not a searchable name (None when it looks like one)."""
    words = name.split()
    if not words:
        return "empty"
    first = words[0].lower()
    if name[:1].islower():
        return "lower-case"
    if len(words) == 1 and first in _PRONOUNS and not (name.isupper() and len(name) > 1):  # not "US"
        return "pronoun"
    if first in _OPENERS or (len(words) == 1 and first in _GENERIC):
        return "generic"
    if name.count("(") != name.count(")"):
        return "brackets"
    if "'s " in name and name[:1].isupper() and len(words) <= 6:
        return None  # "Eliot Spitzer's office": an owned organisation, named by its owner
    last = words[-1]
    if len(words) > 1 and last[:1].islower() and not last.partition("-")[2][:1].isupper():  # "al-Sabah"
        return "cut"
    return None


def tally(articles: Iterable[dict[str, Any]]) -> tuple[int, int, Counter[tuple[str, str, str]]]:
    """(quotes, quotes with a name, Counter of (reason, name, type) for junk names)."""
    quotes = named = 0
    junk: Counter[tuple[str, str, str]] = Counter()
    for art in articles:
        for q in art.get("quotes", []):
            quotes += 1
            spk = q.get("speaker") or {}
            name = spk.get("name")
            if not name:
                continue
            named += 1
            reason = junk_reason(name)
            if reason:
                junk[(reason, name, str(spk.get("type")))] += 1
    return quotes, named, junk


def _enrich(corpus: Path, n: int) -> list[dict[str, Any]]:
    from pipeline.enrich import Enricher
    from pipeline.models import Article

    articles: list[Article] = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line) if line.strip() else {}
            if str(rec.get("text") or "").strip():
                articles.append(Article(id=str(rec["id"]), text=str(rec["text"])))
            if len(articles) >= n:
                break
    enricher = Enricher.load(load_settings())
    return [a.model_dump(mode="json") for a in enricher.enrich_many(articles)]


def report(label: str, articles: list[dict[str, Any]], show: int) -> None:
    quotes, named, junk = tally(articles)
    bad = sum(junk.values())
    print(
        f"{label}: {len(articles)} articles, {quotes} quotes, {named} named "
        f"({100 * named / max(1, quotes):.1f}%), "
        f"non-name names {bad} ({100 * bad / max(1, named):.1f}% of named)"
    )
    by_reason = Counter[str]()
    for (reason, _, _), n in junk.items():
        by_reason[reason] += n
    if by_reason:
        print("  by reason: " + ", ".join(f"{r} {n}" for r, n in by_reason.most_common()))
    for (reason, name, kind), n in junk.most_common(show):
        print(f"  {n:3d}  {reason:10s} {kind:8s} {name!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", action="append", help="corpus name under ../shared/data/corpora")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--show", type=int, default=40, help="junk names to list per corpus")
    parser.add_argument("--enriched", type=Path, action="append", help="enriched JSON Lines instead")
    args = parser.parse_args(argv)
    if args.enriched:
        for path in args.enriched:
            with path.open(encoding="utf-8") as fh:
                report(path.name, [json.loads(line) for line in fh if line.strip()], args.show)
        return
    names = args.corpus or sorted(p.stem for p in CORPORA.glob("*.jsonl"))
    for name in names:
        path = CORPORA / f"{name}.jsonl"
        if not path.is_file():
            raise SystemExit(f"speaker_names: no corpus {path}")
        report(name, _enrich(path, args.articles), args.show)


if __name__ == "__main__":
    main()
