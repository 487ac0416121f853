"""Behaviour tables for speaker resolution, role and country (over the real spaCy model)."""

from __future__ import annotations

import pytest

from pipeline.enrich import Enricher
from pipeline.models import Article, Quote
from pipeline.nlp.speakers import load_name_genders
from pipeline.settings import Settings


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load(Settings())


def _quotes(enricher: Enricher, text: str) -> list[Quote]:
    return enricher.enrich(Article(id="t", text=text)).quotes


def _quote_containing(quotes: list[Quote], words: str) -> Quote:
    hits = [q for q in quotes if words in q.text]
    assert hits, f"no quote containing {words!r} in {[q.text for q in quotes]}"
    return hits[0]


# (text, words inside the quote, expected speaker name)
NAMES = [
    # a surname resolves to the full name introduced earlier
    (
        "Health Minister Ana Ruiz opened the new clinic on Monday.\n\n"
        "Ruiz said that the clinic would treat 400 patients a week.",
        "400 patients",
        "Ana Ruiz",
    ),
    # a pronoun takes the nearest person of its gender
    (
        'Maria Lopez chaired the meeting with Peter Grant.\n\n"We agreed on the budget at last," she said.',
        "budget at last",
        "Maria Lopez",
    ),
    (
        'Maria Lopez chaired the meeting with Peter Grant.\n\n"The budget is still too small," he said.',
        "too small",
        "Peter Grant",
    ),
    # a description matches the person whose title fits, not the person named last
    (
        "US Secretary of State Helen Marsh spoke by phone with the jailed reporter Ivan Petrov.\n\n"
        "The top US diplomat said that Washington would keep pressing for his release.",
        "keep pressing",
        "Helen Marsh",
    ),
    # a floating quotation continues the previous speaker
    (
        '"The river rose two metres overnight," said Paul Okoye, the town\'s mayor.\n\n'
        '"We have never seen anything like it in this valley."',
        "never seen anything",
        "Paul Okoye",
    ),
    # an apposed name names the described speaker
    (
        "A spokesperson for the ministry, Karl Benning, said that the talks would resume in May.",
        "talks would resume",
        "Karl Benning",
    ),
    # a description before any name: the person named next
    (
        '"We will not sign this agreement," the envoy said on Tuesday.\n\n'
        "Dmitri Volkov added that talks could continue next month.",
        "not sign",
        "Dmitri Volkov",
    ),
]


@pytest.mark.parametrize(("text", "words", "name"), NAMES)
def test_speaker_names_are_resolved(enricher: Enricher, text: str, words: str, name: str) -> None:
    assert _quote_containing(_quotes(enricher, text), words).speaker.name == name


# organisations speak for themselves; an owned noun is not its owner
ORGS = [
    ("The Finance Ministry said that tax revenue rose by 4 per cent.", "tax revenue", "Finance Ministry"),
    (
        "Prime Minister Alan Reeve visited the plant.\n\n"
        "Reeve's office said that the visit had been planned for months.",
        "planned for months",
        "office",
    ),
]


@pytest.mark.parametrize(("text", "words", "name_part"), ORGS)
def test_organisations_and_offices_are_not_people(
    enricher: Enricher, text: str, words: str, name_part: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert speaker.name is not None and name_part in speaker.name


NEGATIVE_PERSONS = [
    # a name inside a quotation is not an antecedent for the pronoun outside it
    (
        'Laura Chen leads the inquiry.\n\n"I spoke to Mark Davies yesterday and he agreed," she said.',
        "spoke to Mark Davies",
        "Mark Davies",
    ),
    # a description naming another country does not take a person of a different country
    (
        "Canadian Trade Minister Julie Moreau met Mexican Economy Secretary Raul Ortega.\n\n"
        "The Mexican official said that the quotas were temporary.",
        "quotas were temporary",
        "Julie Moreau",
    ),
]


@pytest.mark.parametrize(("text", "words", "not_name"), NEGATIVE_PERSONS)
def test_wrong_antecedents_are_avoided(enricher: Enricher, text: str, words: str, not_name: str) -> None:
    assert _quote_containing(_quotes(enricher, text), words).speaker.name != not_name


COUNTRIES = [
    (
        "Russian Deputy Foreign Minister Pavel Orlov said that the talks were over.",
        "talks were over",
        "RU",
        "Deputy Foreign Minister",
    ),
    (
        '"Our position has not changed," the ambassador wrote on the Brazilian embassy\'s website.\n\n'
        "Ambassador Rui Campos later repeated that point.",
        "position has not changed",
        "BR",
        None,
    ),
    ("Harbour master Tom Eriksen said the ships were safe.", "ships were safe", None, None),
]


@pytest.mark.parametrize(("text", "words", "country", "role"), COUNTRIES)
def test_speaker_country_and_role(
    enricher: Enricher, text: str, words: str, country: str | None, role: str | None
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert speaker.country == country
    if role is not None:
        assert speaker.role == role


UNNAMED = [
    ('"The pumps failed at dawn," the operator said.', "pumps failed", "the operator"),
    ("A security guard said that the gates had been left open.", "gates had been left", "A security guard"),
]


@pytest.mark.parametrize(("text", "words", "mention"), UNNAMED)
def test_unnamed_speakers_have_no_name(enricher: Enricher, text: str, words: str, mention: str) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert speaker.name is None
    assert speaker.mention == mention


GENDERS = [("Maria", "f"), ("Peter", "m"), ("Xqzvbt", None)]


@pytest.mark.parametrize(("first", "gender"), GENDERS)
def test_first_name_gender_table(first: str, gender: str | None) -> None:
    got = load_name_genders()(first)
    assert (got[0] if got else None) == gender
