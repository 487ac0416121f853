"""End-to-end stream benchmark (not a test): articles/s from the first produce to the last searchable
article, per-article latency percentiles (produced -> visible in a search), and the worker's memory,
side by side with bare enrichment of the same articles in the same run.

    python -m pipeline.bench.pipeline_throughput [--articles 400] [--processes 0] [--rate 0]
        [--people on|off|both] [--no-bare]

Needs the devstack (Kafka + Elasticsearch). Uses its own topics, consumer group and index prefix and
deletes them afterwards. Corpus articles are read in place from ``../shared/data/corpora``.

Steps, one after the other so they never compete for the CPU:
1. bare ``Enricher.enrich_many`` in this process (one core), and the same articles through the worker's
   ``EnrichmentPool`` with ``--processes`` processes (all cores): the enrichment ceiling;
2. a real ``quotewire worker`` subprocess; all articles produced at once (``--rate 0``, a burst:
   throughput) or paced at ``--rate`` articles/s (latency under a steady load); the articles index is
   polled every 0.2 s to see when each article becomes searchable.

``--people both`` runs step 2 twice, with people linking off and then on (``QUOTEWIRE_PEOPLE_LINKING``,
each run with fresh topics and indices), and prints the ratio: what the people registry costs end to end.

Latency resolution: the poll interval plus the index refresh interval (1 s) - figures below ~1.2 s are
at the floor the index allows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline.devstack.scratch import scratch_settings
from pipeline.settings import PROJECT_ROOT, Settings, load_settings

CORPORA = PROJECT_ROOT.parent / "shared" / "data" / "corpora"
POLL_SECONDS = 0.2


def sample(n: int) -> list[dict[str, Any]]:
    """Half BBC (long, quote-dense), half Reuters (short wire copy), from the start of each file."""
    out: list[dict[str, Any]] = []
    for name, k in (("bbc-news-2004.jsonl", n // 2), ("reuters-21578.jsonl", n - n // 2)):
        with (CORPORA / name).open(encoding="utf-8") as f:
            for line in f:
                if k == 0:
                    break
                article = json.loads(line)
                if article.get("text", "").strip():
                    out.append(
                        {
                            "id": f"bench-{article['id']}",
                            "text": article["text"],
                            "headline": article.get("headline"),
                            "source": article.get("source"),
                        }
                    )
                    k -= 1
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (the pool processes), in MiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    pids += [int(p) for p in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    qs = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"p50": qs[49], "p90": qs[89], "p99": qs[98], "max": max(values)}


def bare_enrich(settings: Settings, articles: list[dict[str, Any]], processes: int) -> dict[str, float]:
    from pipeline.enrich import Enricher
    from pipeline.models import Article
    from pipeline.stream.pool import EnrichmentPool

    parsed = [Article.model_validate(a) for a in articles]
    enricher = Enricher.load(settings)
    enricher.enrich_many(parsed[:4])  # warm-up: first-call costs are not throughput
    start = time.perf_counter()
    enricher.enrich_many(parsed)
    one = time.perf_counter() - start

    async def pooled() -> float:
        pool = EnrichmentPool(settings.spacy_model, processes, settings.worker_batch_size)
        await pool.start()
        try:
            await pool.enrich(parsed[: processes * 2])
            t0 = time.perf_counter()
            # The worker's way: batches of worker_batch_size, each spread over the pool.
            for i in range(0, len(parsed), settings.worker_batch_size):
                await pool.enrich(parsed[i : i + settings.worker_batch_size])
            return time.perf_counter() - t0
        finally:
            pool.close()

    many = asyncio.run(pooled())
    return {"one_process": len(parsed) / one, "pool": len(parsed) / many}


async def produce(settings: Settings, articles: list[dict[str, Any]], rate: float) -> dict[str, float]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        t0 = time.monotonic()
        for i, article in enumerate(articles):
            if rate:
                await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            sent[article["id"]] = time.time()
            await producer.send(settings.topic_raw, json.dumps(article).encode(), key=article["id"].encode())
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def end_to_end(
    settings: Settings, articles: list[dict[str, Any]], processes: int, rate: float
) -> dict[str, Any]:
    import threading

    from pipeline.devstack.scratch import remove_scratch, settings_env
    from pipeline.index.client import make_client
    from pipeline.stream.commands import ensure_all

    asyncio.run(ensure_all(settings))
    env = settings_env(settings.model_copy(update={"worker_processes": processes}))
    log = Path(tempfile.gettempdir()) / f"{settings.consumer_group}.log"
    quotewire = str(Path(sys.executable).parent / "quotewire")
    with log.open("wb") as out:
        worker = subprocess.Popen([quotewire, "worker"], env=env, stdout=out, stderr=out)
    client = make_client(settings)
    try:
        deadline = time.monotonic() + 180
        while b"worker ready" not in log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start; see {log}")
            time.sleep(0.2)
        idle_rss = rss_mib(worker.pid)
        seen: dict[str, float] = {}
        peak = [idle_rss]
        result: dict[str, dict[str, float]] = {}

        def run_producer() -> None:
            result["sent"] = asyncio.run(produce(settings, articles, rate))

        producer = threading.Thread(target=run_producer)
        started = time.time()
        producer.start()
        want = {a["id"] for a in articles}
        deadline = time.monotonic() + 1800
        while len(seen) < len(want) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            now = time.time()
            hits = client.search(
                index=settings.articles_alias,
                size=10_000,
                source_includes=["article_id"],
                query={"match_all": {}},
            )["hits"]["hits"]
            for hit in hits:
                seen.setdefault(hit["_source"]["article_id"], now)
            peak.append(rss_mib(worker.pid))
        producer.join()
        sent = result["sent"]
        latencies = [seen[i] - sent[i] for i in seen if i in sent]
        quotes = client.count(index=settings.quotes_alias)["count"]
        return {
            "articles": len(seen),
            "quotes": quotes,
            "seconds": max(seen.values()) - started if seen else float("nan"),
            "latency": percentiles(latencies),
            "rss_idle_mib": idle_rss,
            "rss_peak_mib": max(peak),
        }
    finally:
        worker.terminate()
        worker.wait(timeout=120)
        client.close()
        asyncio.run(remove_scratch(settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--processes", type=int, default=0, help="enrichment processes (0 = one per core)")
    parser.add_argument("--rate", type=float, default=0.0, help="articles/s to produce (0 = all at once)")
    parser.add_argument(
        "--people",
        choices=("on", "off", "both"),
        default="on",
        help="people linking in the worker; both = side by side (off, then on)",
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-enrichment step")
    args = parser.parse_args()

    from pipeline.stream.pool import pool_size

    settings = scratch_settings(load_settings(), "qwbench")
    processes = pool_size(args.processes)
    articles = sample(args.articles)
    chars = sum(len(a["text"]) for a in articles)
    print(
        f"{len(articles)} articles ({chars / len(articles):.0f} chars on average), "
        f"{processes} enrichment process(es), batch {settings.worker_batch_size}, "
        f"{os.cpu_count()} CPU(s)",
        flush=True,
    )

    bare = None if args.no_bare else bare_enrich(settings, articles, processes)
    if bare is not None:
        print(f"{'bare enrich, 1 process:':<35}{bare['one_process']:7.1f} articles/s", flush=True)
        print(f"{f'bare enrich, pool of {processes}:':<35}{bare['pool']:7.1f} articles/s", flush=True)

    modes = {"on": (True,), "off": (False,), "both": (False, True)}[args.people]
    rates: dict[bool, float] = {}
    for linking in modes:
        run = scratch_settings(load_settings(), "qwbench").model_copy(update={"people_linking": linking})
        e2e = end_to_end(run, articles, processes, args.rate)
        rates[linking] = e2e["articles"] / e2e["seconds"]
        mode = f"paced at {args.rate:g}/s" if args.rate else "burst"
        label = f"end to end ({mode}, people {'on' if linking else 'off'}):"
        print(
            f"{label:<35}{rates[linking]:7.1f} articles/s "
            f"({e2e['articles']} articles, {e2e['quotes']} quotes searchable in {e2e['seconds']:.1f} s)"
        )
        lat = e2e["latency"]
        if lat:
            print(
                f"{'latency produce -> searchable:':<35}"
                + ", ".join(f"{k} {v:.2f} s" for k, v in lat.items())
            )
        idle, peak = e2e["rss_idle_mib"], e2e["rss_peak_mib"]
        print(f"{'worker RSS (main + pool):':<35}idle {idle:.0f} MiB, peak {peak:.0f} MiB", flush=True)
        if not args.rate and bare is not None:  # under a paced rate the throughput is the rate
            print(f"{'end to end / bare pool:':<35}{rates[linking] / bare['pool']:7.2f}")
    if len(rates) == 2 and not args.rate:
        print(f"{'people on / people off:':<35}{rates[True] / rates[False]:7.2f}")


if __name__ == "__main__":
    main()
