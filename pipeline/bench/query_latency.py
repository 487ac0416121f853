"""Query latency benchmark (not a test): p50/p95 per query shape with >= 100,000 quotes indexed.

    python -m pipeline.bench.query_latency [--quotes 100000] [--runs 200] [--prefix qwbench] [--keep]

How the quotes are made (cheaply, without running spaCy over 19,566 articles): every article of
``../shared/data/corpora/*.jsonl`` (resolved from the repo root, read in place, never copied) is split
into sentences; up to ``per_article`` sentences become quotes of that article. Speakers come from a
synthetic pool (first names x surnames invented here, ~600 people, some written in two
transliterations) drawn with a Zipf-like skew so facets look like a news index (a few people quoted
very often, a long tail); each speaker has one country among 40; kinds, cues and countries mentioned
are drawn per quote. Articles keep their corpus id, headline, source and date (BBC items, which have no
date, get a deterministic one in 2004-05). Everything is seeded: two runs index the same documents.

The quotes go through the real writer (``write_articles``, bulk with external versions), into a
separate prefix (default ``qwbench``), then each query shape runs ``--runs`` times with varied
parameters through the real read path (``search_quotes`` / ``suggest_people``), sequentially from one
client; the first 10% are warm-up. Reported: client-side wall time (what the CLI/API sees) and
Elasticsearch's own ``took``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.models import EnrichedArticle, Quote, Speaker
from pipeline.settings import PROJECT_ROOT, Settings, load_settings

CORPORA = PROJECT_ROOT.parent / "shared" / "data" / "corpora"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")

# Invented name parts (not from the corpora). Pairs in VARIANTS are written either way.
FIRST = [
    "Anna",
    "Boris",
    "Carla",
    "Dmitry",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Marek",
    "Nadia",
    "Omar",
    "Petra",
    "Quentin",
    "Rosa",
    "Sergey",
    "Tomas",
    "Ulla",
    "Viktor",
    "Wanda",
    "Yusuf",
    "Zara",
    "Aleksei",
    "Bianca",
    "Chidi",
    "Daria",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jana",
    "Karim",
    "Lucia",
    "Mikhail",
    "Nora",
    "Oleg",
    "Priya",
    "Rafael",
    "Sofia",
    "Tariq",
    "Uma",
    "Vera",
    "Yuri",
    "Zoltan",
    "Amir",
    "Beatriz",
]
SURNAME = [
    "Adler",
    "Bakker",
    "Castell",
    "Dorn",
    "Eriksen",
    "Falk",
    "Gorin",
    "Haddad",
    "Ibarra",
    "Jensen",
    "Kowal",
    "Lind",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quint",
    "Rossi",
    "Sato",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zelenskyy",
    "Albers",
    "Brandt",
    "Cruz",
    "Dahl",
    "Ekberg",
    "Ferro",
    "Grig",
    "Holm",
    "Iversen",
    "Janko",
    "Keller",
    "Lorenz",
    "Marin",
    "Nilsson",
    "Ortega",
    "Pavlov",
    "Ramos",
    "Strand",
    "Toivonen",
    "Ulrich",
    "Volkov",
    "Wolff",
    "Yanev",
    "Zoric",
    "Abate",
]
VARIANTS = {
    "Sergey": "Sergei",
    "Dmitry": "Dmitri",
    "Zelenskyy": "Zelensky",
    "Aleksei": "Alexei",
    "Yuri": "Yury",
}
COUNTRIES = [
    "RU",
    "US",
    "UA",
    "GB",
    "FR",
    "DE",
    "CN",
    "IN",
    "BR",
    "JP",
    "IT",
    "ES",
    "PL",
    "TR",
    "IR",
    "IL",
    "SA",
    "EG",
    "NG",
    "ZA",
    "KE",
    "CA",
    "MX",
    "AR",
    "AU",
    "KR",
    "KP",
    "SY",
    "IQ",
    "AF",
    "PK",
    "ID",
    "TH",
    "VN",
    "PH",
    "SE",
    "NO",
    "FI",
    "NL",
    "BE",
]
CUES = ["said", "told", "added", "noted", "warned", "argued", "stated", "according to"]
WORDS = [
    "oil",
    "prices",
    "trade",
    "talks",
    "bank",
    "rates",
    "growth",
    "election",
    "minister",
    "government",
    "market",
    "shares",
    "dollar",
    "exports",
    "company",
    "profit",
    "inflation",
    "war",
    "peace",
    "sanctions",
    "prisoner",
    "exchange",
    "budget",
    "tax",
    "strike",
    "agreement",
]


def _speakers(rng: random.Random, count: int) -> list[tuple[str, str]]:
    people: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(people) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(SURNAME)}"
        if name not in seen:
            seen.add(name)
            people.append((name, rng.choice(COUNTRIES)))
    return people


def _spelling(name: str, rng: random.Random) -> str:
    return " ".join(VARIANTS.get(w, w) if rng.random() < 0.3 else w for w in name.split())


def _published(record: dict[str, Any]) -> datetime:
    raw = record.get("published")
    if raw:
        try:
            return datetime.strptime(raw.split(".")[0], "%d-%b-%Y %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    offset = int.from_bytes(str(record["id"]).encode()[-4:], "big") % (540 * 24)
    return datetime(2004, 1, 1, tzinfo=UTC) + timedelta(hours=offset)


def synthesize(target: int, per_article: int = 10, seed: int = 7) -> Iterator[EnrichedArticle]:
    """Articles whose quotes are corpus sentences with synthetic speakers, until ``target`` quotes."""
    rng = random.Random(seed)
    people = _speakers(rng, 600)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(people))]  # Zipf-like skew
    made = 0
    for round_no in range(1_000):  # the corpora again (new ids) if one pass is not enough
        for path in sorted(CORPORA.glob("*.jsonl")):
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    text = " ".join(str(record.get("text", "")).split())
                    sentences = [s for s in _SENTENCE.split(text) if 30 <= len(s) <= 400][:per_article]
                    if not sentences:
                        continue
                    quotes = []
                    for sentence in sentences:
                        name, country = rng.choices(people, weights)[0]
                        quotes.append(
                            Quote(
                                text=sentence,
                                start=0,
                                end=len(sentence),
                                kind=rng.choices(["direct", "indirect", "mixed"], [6, 3, 1])[0],
                                cue=rng.choice(CUES),
                                speaker=Speaker(name=_spelling(name, rng), type="PERSON", country=country),
                                countries=rng.sample(COUNTRIES, rng.choice([0, 1, 1, 2])),
                            )
                        )
                    made += len(quotes)
                    yield EnrichedArticle(
                        id=f"bench{round_no}-{record['id']}",
                        text=text[:2000],
                        headline=record.get("headline"),
                        source=record.get("source"),
                        published=_published(record),
                        quotes=quotes,
                    )
                    if made >= target:
                        return


async def build(settings: Settings, target: int) -> tuple[int, float]:
    from pipeline.index.client import make_async_client
    from pipeline.index.schema import ensure_indices
    from pipeline.index.writer import write_articles

    client = make_async_client(settings)
    try:
        await ensure_indices(client, settings)
        await client.indices.put_settings(index=settings.quotes_alias, settings={"refresh_interval": "30s"})
        started = time.perf_counter()
        batch: list[EnrichedArticle] = []
        quotes = 0
        for article in synthesize(target):
            batch.append(article)
            if len(batch) == 200:
                quotes += (await write_articles(client, settings, batch)).quotes_indexed
                batch = []
                print(f"\rindexed {quotes} quotes", end="", file=sys.stderr)
        if batch:
            quotes += (await write_articles(client, settings, batch)).quotes_indexed
        await client.indices.put_settings(index=settings.quotes_alias, settings={"refresh_interval": "1s"})
        await client.indices.refresh(index=[settings.quotes_alias, settings.articles_alias])
        await client.indices.forcemerge(index=settings.quotes_alias, max_num_segments=1)
        print(file=sys.stderr)
        return quotes, time.perf_counter() - started
    finally:
        await client.close()


Shape = Callable[[random.Random], Any]


def shapes() -> dict[str, Shape]:
    from pipeline.index.queries import QuoteQuery

    rng0 = random.Random(7)
    people = _speakers(rng0, 600)
    top = people[:60]

    def person(r: random.Random) -> QuoteQuery:
        return QuoteQuery(person=r.choice(top)[0].split()[1], facets=False)

    def full_name_variant(r: random.Random) -> QuoteQuery:
        return QuoteQuery(person=_spelling(r.choice(top)[0], r).lower(), facets=False)

    def country(r: random.Random) -> QuoteQuery:
        return QuoteQuery(country=r.choice(COUNTRIES), facets=False)

    def text(r: random.Random) -> QuoteQuery:
        return QuoteQuery(text=" ".join(r.sample(WORDS, 2)), facets=False)

    def person_country(r: random.Random) -> QuoteQuery:
        name, code = r.choice(top)
        return QuoteQuery(person=name, country=code, facets=False)

    def country_text_dates(r: random.Random) -> QuoteQuery:
        return QuoteQuery(
            country=r.choice(COUNTRIES),
            text=r.choice(WORDS),
            since="1987-01-01",
            until="2005-12-31",
            facets=False,
        )

    def facets_all(r: random.Random) -> QuoteQuery:
        return QuoteQuery(facets=True, interval=r.choice(["month", "year"]))

    def facets_country(r: random.Random) -> QuoteQuery:
        return QuoteQuery(country=r.choice(COUNTRIES), facets=True)

    def deep_page(r: random.Random) -> QuoteQuery:
        return QuoteQuery(country=r.choice(COUNTRIES), offset=r.choice([500, 1000, 2000]), facets=False)

    def people_prefix(r: random.Random) -> str:
        return r.choice(SURNAME)[:3].lower()

    return {
        "person (surname)": person,
        "person (full name, variant spelling)": full_name_variant,
        "country": country,
        "text": text,
        "person + country": person_country,
        "country + text + dates": country_text_dates,
        "facets (all quotes)": facets_all,
        "country + facets": facets_country,
        "country, page at offset 500-2000": deep_page,
        "people suggestions (prefix)": people_prefix,
    }


async def measure(settings: Settings, runs: int) -> list[tuple[str, list[float], list[float], float]]:
    from pipeline.index.client import make_async_client
    from pipeline.index.search import search_quotes, suggest_people

    client = make_async_client(settings)
    rows: list[tuple[str, list[float], list[float], float]] = []
    try:
        for name, make in shapes().items():
            rng = random.Random(name)
            walls: list[float] = []
            tooks: list[float] = []
            totals: list[int] = []
            warmup = max(1, runs // 10)
            for i in range(runs + warmup):
                params = make(rng)
                call: Awaitable[Any]
                if isinstance(params, str):
                    call = suggest_people(client, settings, params)
                else:
                    call = search_quotes(client, settings, params)
                started = time.perf_counter()
                result = await call
                wall = (time.perf_counter() - started) * 1000
                if i < warmup:
                    continue
                walls.append(wall)
                if isinstance(result, list):
                    totals.append(sum(p.count for p in result))
                else:
                    tooks.append(float(result.took_ms))
                    totals.append(result.total)
            rows.append((name, walls, tooks, statistics.mean(totals)))
    finally:
        await client.close()
    return rows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--prefix", default="qwbench")
    parser.add_argument("--reuse", action="store_true", help="query an index built by an earlier run")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark indices afterwards")
    args = parser.parse_args(argv)
    settings = load_settings().model_copy(update={"index_prefix": args.prefix})

    if not args.reuse:
        asyncio.run(_drop(settings))
        quotes, seconds = asyncio.run(build(settings, args.quotes))
        rate = quotes / seconds
        print(f"indexed {quotes} quotes in {seconds:.1f} s ({rate:.0f} quotes/s through write_articles)")
    count = asyncio.run(_count(settings))
    print(f"{count} quote documents in {settings.quotes_alias}; {args.runs} runs per shape after warm-up\n")
    rows = asyncio.run(measure(settings, args.runs))
    print("| query shape | p50 ms | p95 ms | ES took p50 / p95 ms | mean hits |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, walls, tooks, hits in rows:
        took = f"{_pct(tooks, 0.5):.0f} / {_pct(tooks, 0.95):.0f}" if tooks else "-"
        print(f"| {name} | {_pct(walls, 0.5):.1f} | {_pct(walls, 0.95):.1f} | {took} | {hits:,.0f} |")
    if not args.keep:
        asyncio.run(_drop(settings))


async def _count(settings: Settings) -> int:
    from pipeline.index.client import make_async_client

    client = make_async_client(settings)
    try:
        return int((await client.count(index=settings.quotes_alias))["count"])
    finally:
        await client.close()


async def _drop(settings: Settings) -> None:
    from pipeline.devstack.scratch import drop_scratch_indices

    await drop_scratch_indices(settings)


if __name__ == "__main__":
    main()
