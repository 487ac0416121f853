"""Golden expectations for the sample articles.

* The brief's seed article, read in place from ``../shared/data/seeds`` (never copied into the repo):
  all 9 attributed statements, 6 by Antonov (RU), 2 by Blinken (US), 1 by Ryabkov (RU).
* The project's own ``seeds/`` (fictional people, written for quotewire): the answer key in
  ``seeds/README.md``, quote by quote (kind, speaker, speaker country), optional quotes aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli.enrich import read_articles
from pipeline.enrich import Enricher
from pipeline.models import Article, EnrichedArticle, Quote
from pipeline.settings import PROJECT_ROOT, Settings

SHARED_SEED = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"
SEEDS = PROJECT_ROOT / "seeds"

# (start of the quote's text, kind, speaker name (or words of an unnamed speaker), speaker country)
Row = tuple[str, str, str, str | None]

BRIEF_SEED: list[Row] = [
    ('"Russia has always opposed', "direct", "Antonov", "RU"),
    ("that Moscow advocates", "indirect", "Antonov", "RU"),
    ('"It is an absolute priority', "direct", "Antonov", "RU"),
    ('"We call upon American politicians', "direct", "Antonov", "RU"),
    ('that the "issue of prisoner exchanges', "mixed", "Antonov", "RU"),
    ('"The special channel', "direct", "Antonov", "RU"),
    ("that the US is doing everything", "indirect", "Antony Blinken", "US"),
    ("that the US and Russia were working", "indirect", "Antony Blinken", "US"),
    ("that the Moscow-Washington channel", "indirect", "Sergey Ryabkov", "RU"),
]

# article id -> (file, rows, countries the article mentions at least)
PROJECT_SEEDS: dict[str, tuple[str, list[Row], set[str]]] = {
    "001_grain_talks": (
        "001_grain_talks.txt",
        [
            ('"The talks in Istanbul', "direct", "Oleg Varlamov", "RU"),
            ("Moscow had handed the Turkish side", "mixed", "Oleg Varlamov", "RU"),
            ('"Nobody should expect us', "direct", "Oleg Varlamov", "RU"),
            ('"Turkey will keep its channels open', "direct", "Elif Demirtas", "TR"),
            ('"Ankara believes', "direct", "Elif Demirtas", "TR"),
            ("that the next round", "indirect", "Elif Demirtas", "TR"),
            ('"We have heard such promises', "direct", "Taras Hnatyuk", "UA"),
            ('"We will judge Moscow', "direct", "Taras Hnatyuk", "UA"),
            ("Kyiv has not received", "indirect", "Taras Hnatyuk", "UA"),
        ],
        {"RU", "TR", "UA"},
    ),
    "seed-002-steel-quotas": (
        "002_steel_quotas.json",
        [
            ("Canada will not accept new steel quotas", "indirect", "Claire Dubois", "CA"),
            ("\u201cWe have been patient", "direct", "Claire Dubois", "CA"),
            ("\u201cIf these quotas stay in place", "direct", "Claire Dubois", "CA"),
            ("the quotas were \u201ctemporary", "mixed", "Rafael Ortega Mena", "MX"),
            ("\u201cMexico has the right", "direct", "Rafael Ortega Mena", "MX"),
            ("Washington was following the talks", "indirect", "Office of the US Trade Representative", "US"),
            ("the dispute was unlikely", "indirect", "Priya Natarajan", "CA"),
            ("\u201cThe volumes involved are small", "direct", "Priya Natarajan", "CA"),
            ("\u201cWhat matters is the signal", "direct", "Priya Natarajan", "CA"),
        ],
        {"CA", "MX", "US"},
    ),
    "urn:newsml:quotewire.example:20240307:seed-003-baltic-cable": (
        "003_baltic_cable.ninjs.json",
        [
            ("\u201cWe are treating this", "direct", "Antti Korhonen", "FI"),
            ("\u201cAll options are on the table", "direct", "Antti Korhonen", "FI"),
            ("her government had asked NATO", "indirect", "Liis Tamm", "EE"),
            ("the damage was found early", "indirect", "Liis Tamm", "EE"),
            ("Berlin \u201cstands fully", "mixed", "German Foreign Office", "DE"),
            ("The Russian side had nothing", "indirect", "Dmitry Sorokin", "RU"),
            ("\u201cEvery time something breaks", "direct", "Dmitry Sorokin", "RU"),
            ("\u201cIt has become a habit", "direct", "Dmitry Sorokin", "RU"),
            ("The cable, which links", "indirect", "the operator", None),
        ],
        {"FI", "EE", "DE", "RU"},
    ),
    "seed-004a-canucks-flames": (
        "004_batch.jsonl",
        [
            ('"The guys in front of me', "direct", "Mikko Lehtinen", "FI"),
            ("the power play still needed work", "indirect", "Dan Brennan", "CA"),
            ("\"We can't keep giving up chances", "direct", "Dan Brennan", "CA"),
            ("\"It's something we'll look at", "direct", "Dan Brennan", "CA"),
            ("his team had played well", "indirect", "Noah Girard", "CA"),
            ("\"We just didn't finish", "direct", "Noah Girard", "CA"),
        ],
        {"FI"},
    ),
    "seed-004b-g20-tax": (
        "004_batch.jsonl",
        [
            ("the idea had growing support", "indirect", "Lucia Ferreira", "BR"),
            ("\u201cA small contribution", "direct", "Lucia Ferreira", "BR"),
            ("\u201cThis is not a radical idea", "direct", "Lucia Ferreira", "BR"),
            ("India, South Africa and Spain", "indirect", "Lucia Ferreira", "BR"),
            ("Tokyo was open to the discussion", "mixed", "Kenji Morita", "JP"),
            ("\u201cWe support the direction", "direct", "Kenji Morita", "JP"),
            ("she would present a detailed plan", "indirect", "Lucia Ferreira", "BR"),
        ],
        {"BR", "IN", "ZA", "ES", "US", "DE", "JP"},
    ),
    "seed-004c-boj-rates": (
        "004_batch.jsonl",
        [
            ("Japan's central bank has no plans", "indirect", "Hiroshi Kanda", "JP"),
            ("the yen's recent rise", "indirect", "Hiroshi Kanda", "JP"),
            ('"There is no need for a policy change', "direct", "Hiroshi Kanda", "JP"),
            ("they agreed with the assessment", "indirect", "Finance Ministry officials", "JP"),
        ],
        {"JP"},
    ),
}


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load(Settings())


def _find(quotes: list[Quote], start: str) -> Quote:
    hits = [q for q in quotes if q.text.startswith(start)]
    assert len(hits) == 1, f"expected one quote starting {start!r}, got {[q.text[:50] for q in quotes]}"
    return hits[0]


def _check(article: EnrichedArticle, rows: list[Row]) -> None:
    for start, kind, speaker, country in rows:
        q = _find(article.quotes, start)
        assert article.text[q.start : q.end] == q.text
        assert (q.kind, q.speaker.country) == (kind, country), start
        # an unnamed speaker has no name, its mention says who it is ("the operator")
        who = q.speaker.name or q.speaker.mention
        assert who is not None and speaker in who, (start, q.speaker)


def test_brief_seed_article(enricher: Enricher) -> None:
    text = SHARED_SEED.read_text(encoding="utf-8")
    article = enricher.enrich(Article(id=SHARED_SEED.stem, text=text))
    _check(article, BRIEF_SEED)
    people = [q.speaker.name for q in article.quotes if q.speaker.type == "PERSON"]
    assert len(people) == 9  # nothing else is attributed to a person
    assert set(article.countries) >= {"RU", "US"}


def _seed_article(filename: str, article_id: str) -> Article:
    """The article ``article_id`` of a seed file, read as ``quotewire enrich`` reads it; a plain-text
    file's id is derived (source:name:digest), so there the key names the file."""
    path = SEEDS / filename
    with path.open("rb") as fh:
        items = list(read_articles(fh, str(path), 200_000, path.suffix))
    articles = [item for item in items if isinstance(item, Article)]
    assert len(articles) == len(items), items
    if path.suffix == ".txt":
        (article,) = articles
        assert f":{article_id}:" in f":{article.id}", article.id
        return article
    return next(a for a in articles if a.id == article_id)


@pytest.mark.parametrize("article_id", sorted(PROJECT_SEEDS))
def test_project_seed_answer_key(enricher: Enricher, article_id: str) -> None:
    filename, rows, countries = PROJECT_SEEDS[article_id]
    assert (SEEDS / filename).is_file()
    article = enricher.enrich(_seed_article(filename, article_id))
    _check(article, rows)
    assert set(article.countries) >= countries


def test_every_seed_file_is_covered() -> None:
    files = {name for name, _, _ in PROJECT_SEEDS.values()}
    assert files == {p.name for p in Path(SEEDS).glob("0*")}
