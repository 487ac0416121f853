"""Evaluate quote extraction and speaker attribution on an annotated set with the shared scorer.

    python -m pipeline.bench.eval_quotes [GOLD.jsonl ...] [--out DIR] [--errors N]

Defaults to ``../shared/data/eval/ggt-dev.jsonl`` and ``polnear-dev.jsonl`` (resolved from the repo root).
Writes ``DIR/<name>.pred.jsonl``, runs ``../shared/tools/score_quotes.py`` on it and prints its figures.
``--errors N`` prints up to N misses / false positives / wrong speakers with context (error analysis).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline.settings import PROJECT_ROOT, load_settings

SHARED = PROJECT_ROOT.parent / "shared"
DEFAULT_GOLD = (SHARED / "data/eval/ggt-dev.jsonl", SHARED / "data/eval/polnear-dev.jsonl")
SCORER = SHARED / "tools/score_quotes.py"


def _gold_spans(rec: dict[str, Any]) -> list[tuple[int, int, str | None, str]]:
    if "quotes" in rec:
        return [(q["start"], q["end"], q.get("speaker") or "", q.get("kind", "?")) for q in rec["quotes"]]
    out = []
    for a in rec.get("attributions", []):
        spans = [s for c in a["content"] for s in c["spans"]]
        if spans:
            src = " ".join(s["text"] for s in a.get("source", []))
            out.append((min(s for s, _ in spans), max(e for _, e in spans), src or None, "?"))
    return out


def _print_errors(gold: list[dict[str, Any]], preds: dict[str, dict[str, Any]], limit: int) -> None:
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("score_quotes", SCORER)
    assert spec and spec.loader
    scorer = module_from_spec(spec)
    spec.loader.exec_module(scorer)
    shown = {"miss": 0, "fp": 0, "speaker": 0}
    for rec in gold:
        text = rec["text"]
        remaining = list(preds.get(rec["id"], {}).get("quotes", []))
        for gs, ge, gspk, kind in _gold_spans(rec):
            best, best_cover = None, 0.0
            for p in remaining:
                cover = max(0, min(ge, p["end"]) - max(gs, p["start"])) / max(1, ge - gs)
                if cover > 0.3 and cover > best_cover:
                    best, best_cover = p, cover
            if best is None:
                if shown["miss"] < limit:
                    shown["miss"] += 1
                    print(
                        f"MISS [{kind}] {rec['id']}: ...{text[max(0, gs - 120) : gs]!r} <<{text[gs:ge]!r}>> "
                        f"{text[ge : ge + 60]!r}\n"
                    )
                continue
            remaining.remove(best)
            name = best["speaker"].get("name") or best["speaker"].get("mention") or ""
            wrong = "quotes" in rec and gspk is not None and not scorer.same_speaker(name, gspk)
            if wrong and shown["speaker"] < limit:
                shown["speaker"] += 1
                print(
                    f"SPEAKER {rec['id']}: gold={gspk!r} pred={name!r} "
                    f"mention={best['speaker'].get('mention')!r}"
                    f" cue={best.get('cue')!r}: {text[max(0, gs - 80) : gs]!r} <<{text[gs:ge][:160]!r}>>"
                    f" {text[ge : ge + 60]!r}\n"
                )
        for p in remaining:
            if shown["fp"] < limit:
                shown["fp"] += 1
                print(
                    f"FP [{p['kind']}] {rec['id']}: cue={p.get('cue')!r} "
                    f"...{text[max(0, p['start'] - 80) : p['start']]!r}"
                    f" <<{text[p['start'] : p['end']][:200]!r}>>\n"
                )


def evaluate(gold_path: Path, out_dir: Path, errors: int) -> dict[str, Any]:
    from pipeline.enrich import Enricher
    from pipeline.models import Article

    gold = [json.loads(line) for line in gold_path.open(encoding="utf-8") if line.strip()]
    enricher = Enricher.load(load_settings())
    articles = [Article.model_validate(rec) for rec in gold]
    enriched = enricher.enrich_many(articles)
    out_dir.mkdir(parents=True, exist_ok=True)
    pred_path = out_dir / f"{gold_path.stem}.pred.jsonl"
    preds: dict[str, dict[str, Any]] = {}
    with pred_path.open("w", encoding="utf-8") as fh:
        for e in enriched:
            rec = e.model_dump(mode="json", exclude={"text", "entities"})
            preds[e.id] = rec
            fh.write(json.dumps(rec) + "\n")
    if errors:
        _print_errors(gold, preds, errors)
    run = subprocess.run(
        [sys.executable, str(SCORER), str(gold_path), str(pred_path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold", nargs="*", type=Path, default=list(DEFAULT_GOLD))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "quotewire-bench")
    parser.add_argument("--errors", type=int, default=0)
    args = parser.parse_args(argv)
    for gold_path in args.gold:
        res = evaluate(gold_path, args.out, args.errors)
        print(f"== {gold_path.name}: {res['articles']} articles, {res['missing']} missing")
        for level in ("lenient", "strict"):
            print(f"  {level:8s}", json.dumps(res[level]))


if __name__ == "__main__":
    main()
