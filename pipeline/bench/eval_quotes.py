"""Evaluate quote extraction and speaker attribution on an annotated set with the shared scorers.

    python -m pipeline.bench.eval_quotes [GOLD.jsonl ...] [--out DIR] [--errors N]

Defaults to ``../shared/data/eval/ggt-dev.jsonl``, ``polnear-dev.jsonl`` and ``speakers-dev.jsonl``
(resolved from the repo root). Writes ``DIR/<name>.pred.jsonl`` and scores it:

* a quote-level set (GGT or PolNeAR form: records with ``quotes`` / ``attributions``) with
  ``../shared/tools/score_quotes.py``; ``--errors N`` prints up to N misses / false positives / wrong
  speakers with context;
* a speaker-level set (records with ``speakers``: who is quoted, their role and country) with
  ``../shared/tools/score_speakers.py``: speaker P/R/F1, country right / wrong where the article tells
  it, country where only world knowledge does, a false country where none is known, role match; for the
  whole set and per kind of article (GGT, BBC, Reuters). ``--errors N`` prints up to N of the scorer's
  misses per kind and error type, with the predicted speaker's country, ``country_source`` and role.
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
DEFAULT_GOLD = (
    SHARED / "data/eval/ggt-dev.jsonl",
    SHARED / "data/eval/polnear-dev.jsonl",
    SHARED / "data/eval/speakers-dev.jsonl",
)
SCORER = SHARED / "tools/score_quotes.py"
SPEAKER_SCORER = SHARED / "tools/score_speakers.py"


def _load_scorer(path: Path) -> Any:
    """The shared scorer at ``path`` as a module (its functions are reused, never copied)."""
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def article_kind(rec: dict[str, Any]) -> str:
    """The kind of a speakers-dev article: BBC, Reuters or GGT (the Canadian news of ggt-dev)."""
    source = (rec.get("source") or "").lower()
    ident = str(rec.get("id", "")).lower()
    if "bbc" in source or ident.startswith("bbc"):
        return "BBC"
    if "reuters" in source or ident.startswith("reuters"):
        return "Reuters"
    return "GGT"


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
    scorer = _load_scorer(SCORER)
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


def _predict(gold: list[dict[str, Any]], pred_path: Path) -> dict[str, dict[str, Any]]:
    """Enrich the gold articles, write their predictions to ``pred_path`` and return them by id."""
    from pydantic import ValidationError

    from pipeline.enrich import Enricher
    from pipeline.models import Article

    def article(rec: dict[str, Any]) -> Article:
        try:
            return Article.model_validate(rec)
        except ValidationError:
            # a date the wire mangled ("27-MAR-1987 13:41:28.21&#5;...") costs the date, not the score
            return Article.model_validate({k: v for k, v in rec.items() if k not in ("published", "version")})

    enricher = Enricher.load(load_settings())
    enriched = enricher.enrich_many([article(rec) for rec in gold])
    pred_path.parent.mkdir(parents=True, exist_ok=True)
    preds: dict[str, dict[str, Any]] = {}
    with pred_path.open("w", encoding="utf-8") as fh:
        for e in enriched:
            rec = e.model_dump(mode="json", exclude={"text", "entities"})
            preds[e.id] = rec
            fh.write(json.dumps(rec) + "\n")
    return preds


def _run_scorer(scorer: Path, gold_path: Path, pred_path: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, str(scorer), str(gold_path), str(pred_path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def evaluate(gold_path: Path, out_dir: Path, errors: int) -> dict[str, Any]:
    """Enrich ``gold_path``'s articles and score them with the scorer its form calls for."""
    gold = [json.loads(line) for line in gold_path.open(encoding="utf-8") if line.strip()]
    pred_path = out_dir / f"{gold_path.stem}.pred.jsonl"
    preds = _predict(gold, pred_path)
    if gold and all("speakers" in rec for rec in gold):
        return _evaluate_speakers(gold, gold_path, pred_path, preds, errors)
    if errors:
        _print_errors(gold, preds, errors)
    return _run_scorer(SCORER, gold_path, pred_path)


def _evaluate_speakers(
    gold: list[dict[str, Any]],
    gold_path: Path,
    pred_path: Path,
    preds: dict[str, dict[str, Any]],
    errors: int,
) -> dict[str, Any]:
    """score_speakers.py on the whole set (its own command line) and on each kind of article."""
    result = _run_scorer(SPEAKER_SCORER, gold_path, pred_path)
    result["form"] = "speakers"
    scorer = _load_scorer(SPEAKER_SCORER)
    kinds: dict[str, list[dict[str, Any]]] = {}
    for rec in gold:
        kinds.setdefault(article_kind(rec), []).append(rec)
    result["by_kind"] = {kind: scorer.score(recs, preds) for kind, recs in sorted(kinds.items())}
    if errors:
        for kind, recs in sorted(kinds.items()):
            found: list[dict[str, Any]] = []
            scorer.score(recs, preds, found)
            _print_speaker_errors(kind, found, preds, scorer, errors)
    return result


def _print_speaker_errors(
    kind: str, found: list[dict[str, Any]], preds: dict[str, dict[str, Any]], scorer: Any, limit: int
) -> None:
    """The scorer's misses of one kind of article, up to ``limit`` per error type, with what was
    predicted for that speaker (country, its source, role) so that a miss can be traced to its rule."""
    shown: dict[str, int] = {}
    for err in found:
        etype = err["error"]
        shown[etype] = shown.get(etype, 0) + 1
        if shown[etype] > limit:
            continue
        pred = next(
            (
                q.get("speaker") or {}
                for q in preds.get(err["id"], {}).get("quotes", [])
                if scorer.same_speaker((q.get("speaker") or {}).get("name") or "", err["gold"])
            ),
            {},
        )
        detail = {k: pred.get(k) for k in ("name", "country", "country_source", "role") if pred.get(k)}
        print(f"{kind} {etype.upper()} {err['id']}: {json.dumps(err)} pred={json.dumps(detail)}")
    print(f"{kind}: " + ", ".join(f"{n} {etype}" for etype, n in sorted(shown.items())) + "\n")


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
        if res.get("form") == "speakers":
            print(f"== {gold_path.name}: {res['articles']} articles")
            print("  " + format_speaker_figures("all", res))
            for kind, figures in res["by_kind"].items():
                print("  " + format_speaker_figures(kind, figures))
            continue
        print(f"== {gold_path.name}: {res['articles']} articles, {res['missing']} missing")
        for level in ("lenient", "strict"):
            print(f"  {level:8s}", json.dumps(res[level]))


def format_speaker_figures(label: str, res: dict[str, Any]) -> str:
    """One line of score_speakers.py figures: speakers P/R/F1, country, false country, role."""
    s, k, r = res["speakers"], res["country"], res["role"]
    return (
        f"{label:8s} {res['articles']:3d} articles | speakers P {s['precision']} R {s['recall']} "
        f"F1 {s['f1']} | country right {k['article']}% wrong {k['article_wrong']}% (n={k['article_n']}),"
        f" world right {k['world']}% (n={k['world_n']}) | false country {k['false_country']}%"
        f" (n={k['null_n']}) | role match {r['match']}% filled {r['filled']}% (n={r['n']})"
    )


if __name__ == "__main__":
    main()
