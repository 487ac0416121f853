"""Layout agreement: the same words, hard-wrapped or not, must give the same quotes and speakers.

    python -m pipeline.bench.layout_agreement [--articles N] [--seed S] [--width W]

Two checks on random stories of ``../shared/data/corpora`` (resolved from the repo root):

- **Reuters** (``reuters-21578.jsonl``, hard-wrapped at ~65 columns with indented paragraphs): the story
  as given vs *joined* (each line end inside a paragraph - before a line that is not indented - becomes
  a space);
- **BBC** (``bbc-news-2004.jsonl``, one paragraph per line): the story as given vs *wrapped* at
  ``--width`` columns (greedy, a space at each wrap becomes a line end; paragraphs stay blank-line
  separated).

Both transformations keep every offset, so the two enrichments are compared quote by quote: a quote
agrees when the other version has one with the same speaker (name, else mention) covering at least 80%
of the longer of the two spans. Agreement = 2 x agreeing / (quotes of A + quotes of B), in percent
(100 when neither version has a quote). The target is >= 95 on both.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from pipeline.bench.corpora import CORPORA, read_records
from pipeline.settings import load_settings

# A line end inside a paragraph: after a non-blank line, before a line that starts with a word.
_WRAP = re.compile(r"(?<=\S)[ \t]*\n(?=\S)")


def join_lines(text: str) -> str:
    """Reuters as a joined text: each line end inside a paragraph becomes a space (same length)."""
    return _WRAP.sub(lambda m: " " * len(m.group()), text)


def wrap_lines(text: str, width: int) -> str:
    """Hard-wrap each line at ``width`` columns by turning spaces into line ends (same length)."""
    chars = list(text)
    line_start = 0
    last_space = -1
    for i, ch in enumerate(text):
        if ch == "\n":
            line_start, last_space = i + 1, -1
            continue
        if ch == " ":
            last_space = i
        if i - line_start >= width and last_space > line_start:
            chars[last_space] = "\n"
            line_start, last_space = last_space + 1, -1
    return "".join(chars)


def _sample(path: Path, n: int, seed: int) -> list[dict[str, str]]:
    records = read_records(path, with_text=True)
    return random.Random(seed).sample(records, min(n, len(records)))


def _speaker(q: dict[str, object]) -> str:
    speaker = q["speaker"]
    assert isinstance(speaker, dict)
    return str(speaker.get("name") or speaker.get("mention") or "").lower()


def agreement(a: list[dict[str, object]], b: list[dict[str, object]]) -> tuple[int, int, int]:
    """(agreeing quotes, quotes in a, quotes in b); each quote of ``b`` agrees with one of ``a`` at most."""
    left = list(b)
    agreeing = 0
    for qa in a:
        sa, ea = int(str(qa["start"])), int(str(qa["end"]))
        for qb in left:
            sb, eb = int(str(qb["start"])), int(str(qb["end"]))
            overlap = min(ea, eb) - max(sa, sb)
            if overlap >= 0.8 * max(ea - sa, eb - sb) and _speaker(qa) == _speaker(qb):
                agreeing += 1
                left.remove(qb)
                break
    return agreeing, len(a), len(b)


def measure(corpus: str, n: int, seed: int, width: int, examples: int) -> dict[str, float]:
    from pipeline.enrich import Enricher
    from pipeline.models import Article

    records = _sample(CORPORA / f"{corpus}.jsonl", n, seed)
    given = [Article(id=str(r["id"]), text=str(r["text"])) for r in records]
    if corpus.startswith("reuters"):
        other = [Article(id=a.id, text=join_lines(a.text)) for a in given]
    else:
        other = [Article(id=a.id, text=wrap_lines(a.text, width)) for a in given]
    enricher = Enricher.load(load_settings())
    out_a = enricher.enrich_many(given)
    out_b = enricher.enrich_many(other)
    agree = total_a = total_b = 0
    shown = 0
    for ea, eb in zip(out_a, out_b, strict=True):
        qa = [q.model_dump() for q in ea.quotes]
        qb = [q.model_dump() for q in eb.quotes]
        k, na, nb = agreement(qa, qb)
        agree, total_a, total_b = agree + k, total_a + na, total_b + nb
        if (k < na or k < nb) and shown < examples:
            shown += 1
            print(f"-- {ea.id}: {k} agree of {na} / {nb}")
            for q in ea.quotes:
                print(f"   A {q.start}-{q.end} {q.speaker.name or q.speaker.mention!r}: {q.text[:90]!r}")
            for q in eb.quotes:
                print(f"   B {q.start}-{q.end} {q.speaker.name or q.speaker.mention!r}: {q.text[:90]!r}")
    score = 100.0 if total_a + total_b == 0 else 200.0 * agree / (total_a + total_b)
    return {"articles": len(given), "quotes_a": total_a, "quotes_b": total_b, "agreement": score}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=65)
    parser.add_argument("--examples", type=int, default=0, help="print N disagreeing articles")
    args = parser.parse_args(argv)
    for corpus, what in (
        ("reuters-21578", "as given vs joined"),
        ("bbc-news-2004", f"as given vs wrapped at {args.width}"),
    ):
        res = measure(corpus, args.articles, args.seed, args.width, args.examples)
        print(
            f"{corpus} ({what}): {res['articles']} articles, quotes {res['quotes_a']} / {res['quotes_b']}, "
            f"quote-and-speaker agreement {res['agreement']:.1f}"
        )


if __name__ == "__main__":
    main()
