"""What the edge costs and what it saves, on the research corpora (read in place).

    python -m pipeline.bench.ingest_edge [--articles N]

For each corpus in ``../shared/data/corpora``: decodes every line with ``pipeline.ingest.decode``
(dates, language, checks) and reports articles decoded, articles refused, articles whose date could not
be read (kept, with a warning), languages found, and the time per article of the decoder and of the
language detector alone (after the detector's one-off model load, which is timed separately).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from pipeline.bench.corpora import CORPORA, read_records
from pipeline.errors import BadArticle
from pipeline.ingest.decode import DATE_WARNING, decode_object
from pipeline.ingest.language import detect_language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=0, help="per corpus (0 = all)")
    args = parser.parse_args()
    started = time.perf_counter()
    detect_language("A first sentence loads the model once, as a worker process does.")
    print(f"language model load: {time.perf_counter() - started:.2f} s")
    for path in sorted(CORPORA.glob("*.jsonl")):
        objects = read_records(path, args.articles)
        started = time.perf_counter()
        results = [decode_object(obj, 200_000) for obj in objects]
        decode_s = time.perf_counter() - started
        texts = [str(obj.get("text") or "") for obj in objects]
        started = time.perf_counter()
        for text in texts:
            detect_language(text)
        detect_s = time.perf_counter() - started
        good = [r for r in results if not isinstance(r, BadArticle)]
        refused = Counter(r.reason for r in results if isinstance(r, BadArticle))
        undated_warned = sum(any(w.startswith(DATE_WARNING) for w in a.warnings) for a in good)
        no_date = sum(a.published is None for a in good)
        languages = Counter(a.language for a in good)
        chars = sum(map(len, texts)) / max(1, len(texts))
        print(
            f"{path.name}: {len(objects)} articles ({chars:.0f} chars avg): {len(good)} decoded, "
            f"refused {dict(refused)}, no date {no_date} (of which unreadable {undated_warned}), "
            f"languages {dict(languages.most_common(5))}; "
            f"decode {decode_s / len(objects) * 1000:.2f} ms/article, "
            f"language alone {detect_s / len(objects) * 1000:.2f} ms/article"
        )


if __name__ == "__main__":
    main()
