"""Golden checks of the entity, country and role layers on the project's own seeds/ (see seeds/README.md).

Quotes and speaker resolution have their own golden tests; these pin what the layers underneath must
deliver for them: the people, their roles and countries, and the countries each article mentions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language

from pipeline.ingest.normalize import normalize_wire, parse_wire_header
from pipeline.nlp.countries import CountryLexicon
from pipeline.nlp.entities import analyse_entities
from pipeline.nlp.roles import describe_people
from pipeline.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"


def _seed_texts() -> dict[str, str]:
    texts = {"001_grain_talks": (SEEDS / "001_grain_talks.txt").read_text(encoding="utf-8")}
    texts["seed-002-steel-quotas"] = json.loads((SEEDS / "002_steel_quotas.json").read_text())["text"]
    ninjs = json.loads((SEEDS / "003_baltic_cable.ninjs.json").read_text())
    texts["seed-003-baltic-cable"] = ninjs["body_text"]
    for line in (SEEDS / "004_batch.jsonl").read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        texts[article["id"]] = article["text"]
    return texts


TEXTS = _seed_texts()

# article -> (countries mentioned in order, {person: (role, country)})
EXPECTED: dict[str, tuple[list[str], dict[str, tuple[str | None, str | None]]]] = {
    "001_grain_talks": (
        ["TR", "RU", "UA"],
        {
            "Oleg Varlamov": ("Deputy Agriculture Minister", "RU"),
            "Elif Demirtas": ("spokesperson", "TR"),
            "Taras Hnatyuk": ("ambassador to Turkey", "UA"),
        },
    ),
    "seed-002-steel-quotas": (
        ["CA", "MX", "US"],
        {
            "Claire Dubois": ("Trade Minister", "CA"),
            "Rafael Ortega Mena": ("Economy Secretary", "MX"),
            "Priya Natarajan": ("economist at the University of Toronto", "CA"),
        },
    ),
    "seed-003-baltic-cable": (
        ["FI", "EE", "DE", "RU"],
        {
            "Antti Korhonen": ("Defence Minister", "FI"),
            "Liis Tamm": ("Prime Minister", "EE"),
            "Dmitry Sorokin": ("spokesman", "RU"),
        },
    ),
    "seed-004a-canucks-flames": (
        ["CA", "FI"],
        {"Dan Brennan": ("coach", None), "Noah Girard": ("captain", None)},
    ),
    "seed-004b-g20-tax": (
        ["BR", "IN", "ZA", "ES", "US", "DE", "JP"],
        {
            "Lucia Ferreira": ("Finance Minister", "BR"),
            "Kenji Morita": ("Vice Finance Minister", "JP"),
        },
    ),
    "seed-004c-boj-rates": (["JP"], {"Hiroshi Kanda": ("Governor", "JP")}),
}


def test_every_seed_is_covered() -> None:
    assert set(TEXTS) == set(EXPECTED)


@pytest.mark.parametrize("article", sorted(EXPECTED))
def test_seed_people_roles_and_countries(nlp: Language, lexicon: CountryLexicon, article: str) -> None:
    text = TEXTS[article]
    clean = normalize_wire(text)
    assert len(clean) == len(text)
    doc = nlp(clean)
    countries, people = EXPECTED[article]
    assert lexicon.countries_in(doc) == countries
    described = describe_people(doc, analyse_entities(doc).persons, lexicon)
    for name, (role, country) in people.items():
        assert name in described, f"{name} not found as a person"
        assert (described[name].role, described[name].country) == (role, country), name


def test_wire_furniture_is_not_a_person(nlp: Language) -> None:
    """Credits and desk tags never become people of the story."""
    doc = nlp(normalize_wire(TEXTS["seed-002-steel-quotas"]))
    names = set(analyse_entities(doc).persons.names)
    assert not names & {"Jean Tremblay", "Sara Holm"}


@pytest.mark.parametrize(
    ("path", "published", "desk"),
    [("001_grain_talks.txt", "2024-03-05", "AK/LB")],
)
def test_plain_text_seed_header(path: Path, published: str, desk: str) -> None:
    header = parse_wire_header((SEEDS / path).read_text(encoding="utf-8"))
    assert header.published is not None and header.published.isoformat() == published
    assert header.desk == desk
