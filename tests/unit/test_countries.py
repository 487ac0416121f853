"""Country lexicon: expressions -> ISO alpha-2, case rules, ambiguity, documents, organisations."""

from __future__ import annotations

import json

import pytest
from spacy.language import Language

from pipeline.ingest.normalize import normalize_wire
from pipeline.nlp.build_country_lexicon import build
from pipeline.nlp.countries import COUNTRIES_PATH, CountryLexicon


@pytest.mark.parametrize(
    ("text", "label", "code"),
    [
        # names, official names, common names (pycountry)
        ("Russia", None, "RU"),
        ("Russian Federation", None, "RU"),
        ("Iran", None, "IR"),
        ("Islamic Republic of Iran", None, "IR"),
        ("South Korea", None, "KR"),
        ("North Korea", None, "KP"),
        ("Côte d'Ivoire", None, "CI"),
        ("Cote d'Ivoire", None, "CI"),
        ("the Netherlands", None, "NL"),
        # short forms, case-sensitive
        ("US", None, "US"),
        ("U.S.", None, "US"),
        ("USA", None, "US"),
        ("UK", None, "GB"),
        ("Britain", None, "GB"),
        ("the States", None, "US"),
        ("the US", None, "US"),
        # demonyms and adjectives
        ("Russian", "NORP", "RU"),
        ("Americans", "NORP", "US"),
        ("Canadian", "NORP", "CA"),
        ("Chinese", None, "CN"),
        ("Ukrainian", None, "UA"),
        ("Israeli", None, "IL"),
        ("Saudi", None, "SA"),
        ("Emirati", None, "AE"),
        # capitals and institution metonyms
        ("Moscow", "GPE", "RU"),
        ("Kyiv", None, "UA"),
        ("Kiev", None, "UA"),
        ("Beijing", None, "CN"),
        ("Ottawa", "GPE", "CA"),
        ("Washington", "GPE", "US"),
        ("the Kremlin", None, "RU"),
        ("Kremlin", "ORG", "RU"),
        ("the White House", None, "US"),
        ("the Pentagon", None, "US"),
        ("State Department", None, "US"),
        ("Downing Street", None, "GB"),
        # possessives, punctuation, curly apostrophes
        ("Russia's", None, "RU"),
        ("Washington\u2019s", "GPE", "US"),
        ("Britain.", None, "GB"),
        ('"Canada"', None, "CA"),
        # states, provinces and big cities stand for their country in prose
        ("New Mexico", "GPE", "US"),
        ("Florida", "GPE", "US"),
        ("Ontario", None, "CA"),
        ("British Columbia", "GPE", "CA"),
        ("Toronto", "GPE", "CA"),
        ("Calif.", None, "US"),
        ("Frankfurt", "GPE", "DE"),
        ("Queensland", None, "AU"),
        # historical wire copy maps to the continuator state
        ("Soviet", "NORP", "RU"),
        ("West German", "NORP", "DE"),
    ],
)
def test_code_for_positive(lexicon: CountryLexicon, text: str, label: str | None, code: str) -> None:
    assert lexicon.code_for(text, label) == code


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("us", None),  # the pronoun
        ("Us", None),  # the pronoun at a sentence start
        ("turkey", None),  # the bird
        ("china", None),  # the porcelain
        ("Jordan", "PERSON"),  # Michael Jordan
        ("Chad", "PERSON"),  # a first name
        ("Georgia", "GPE"),  # the US state outnumbers the country in our corpora: left unmapped
        ("Georgia", None),
        ("Latin American", "NORP"),  # not American
        ("European", "NORP"),  # a continent
        ("EU", "ORG"),  # not a country
        ("States", None),  # "member States", "Gulf States"
        ("Smith", None),
        ("", None),
        ("RU", None),  # ISO codes are not prose...
    ],
)
def test_code_for_negative(lexicon: CountryLexicon, text: str, label: str | None) -> None:
    assert lexicon.code_for(text, label) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("RU", "RU"), ("ru", "RU"), ("RUS", "RU"), ("gbr", "GB"), ("Canada", "CA"), ("ZZ", None)],
)
def test_code_for_accepts_iso_codes_for_user_input(
    lexicon: CountryLexicon, text: str, code: str | None
) -> None:
    assert lexicon.code_for(text, allow_codes=True) == code


def test_ambiguous_word_is_a_country_only_under_a_place_label(lexicon: CountryLexicon) -> None:
    assert lexicon.code_for("Jordan", "GPE") == "JO"
    assert lexicon.code_for("Jordan", "PERSON") is None


@pytest.mark.parametrize(
    ("org", "code"),
    [
        ("the Russian embassy", "RU"),
        ("the Russian embassy's", "RU"),
        ("Embassy of Russia in Washington", "RU"),
        ("US Embassy in Moscow", "US"),
        ("Bank of Canada", "CA"),
        ("Canadian Press", "CA"),
        ("TASS", "RU"),
        ("RCMP", "CA"),
        ("Xinhua", "CN"),
        ("the Kremlin", "RU"),
        ("the Mexican Foreign Ministry", "MX"),
        ("Ukrainian Foreign Ministry", "UA"),
        # a city's team is that country's
        ("Ottawa Senators", "CA"),
        ("Toronto Maple Leafs", "CA"),
        # negatives: ambiguous words inside a name do not make it national
        ("Paris Hilton Enterprises", None),
        ("Jordan Peterson Foundation", None),
        ("European Commission", None),
        ("Acme Corp", None),
        ("", None),
    ],
)
def test_country_of_org(lexicon: CountryLexicon, org: str, code: str | None) -> None:
    assert lexicon.country_of_org(org) == code


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Russia has always opposed Washington's hunt for Russians.", ["RU", "US"]),
        ("Let us talk about it, he told us.", []),
        ("US officials met British and French envoys in Kyiv.", ["US", "GB", "FR", "UA"]),
        ("The Kremlin and the White House disagree.", ["RU", "US"]),
        ("He moved from New Mexico to New York.", ["US"]),  # never Mexico
        ("Latin American leaders met.", []),
        ("The Russian embassy in Ottawa said so.", ["RU", "CA"]),
        ("We had turkey and rice in china bowls.", []),
        ("Car ownership has risen fast.", []),  # not CAR, the Central African Republic
        # a generic institution name is not a metonym of one country
        ("The German Foreign Office said so.", ["DE"]),
    ],
)
def test_countries_in_sentences(nlp: Language, lexicon: CountryLexicon, text: str, codes: list[str]) -> None:
    assert lexicon.countries_in(nlp(text)) == codes


def test_countries_in_span_is_limited_to_the_span(nlp: Language, lexicon: CountryLexicon) -> None:
    doc = nlp("Canada protested. Russian and Chinese officials replied. Britain said nothing.")
    sents = list(doc.sents)
    assert lexicon.countries_in(sents[1]) == ["RU", "CN"]
    assert lexicon.countries_in(list(sents[2])) == ["GB"]
    assert lexicon.countries_in(doc) == ["CA", "RU", "CN", "GB"]
    assert lexicon.countries_in([]) == []


def test_seed_article_countries(nlp: Language, lexicon: CountryLexicon) -> None:
    from pipeline.settings import PROJECT_ROOT

    path = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"
    doc = nlp(normalize_wire(path.read_text(encoding="utf-8")))
    assert lexicon.countries_in(doc) == ["RU", "US"]


def test_committed_lexicon_is_what_the_builder_makes() -> None:
    """config/countries.json is generated: editing the extras without re-running the builder fails here."""
    committed = json.loads(COUNTRIES_PATH.read_text(encoding="utf-8"))
    assert committed == build()


def test_lexicon_covers_g20_and_europe_demonyms(lexicon: CountryLexicon) -> None:
    demonyms = {
        "Argentine": "AR",
        "Australian": "AU",
        "Brazilian": "BR",
        "Canadian": "CA",
        "Chinese": "CN",
        "French": "FR",
        "German": "DE",
        "Indians": "IN",
        "Indonesian": "ID",
        "Italian": "IT",
        "Japanese": "JP",
        "Mexican": "MX",
        "Russian": "RU",
        "Saudi": "SA",
        "South African": "ZA",
        "South Korean": "KR",
        "Turkish": "TR",
        "British": "GB",
        "American": "US",
        "Polish": "PL",
        "Dutch": "NL",
        "Swedish": "SE",
        "Greek": "GR",
        "Hungarian": "HU",
        "Iranian": "IR",
        "Iraqi": "IQ",
        "Syrian": "SY",
        "Lebanese": "LB",
        "Egyptian": "EG",
        "Qatari": "QA",
        "Palestinian": "PS",
    }
    for word, code in demonyms.items():
        assert lexicon.code_for(word, "NORP") == code, word
