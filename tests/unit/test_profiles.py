"""Speaker country and its source, role in full: invented sentences through the real enrichment."""

from __future__ import annotations

import pytest

from pipeline.enrich import Enricher
from pipeline.models import Article, Speaker
from pipeline.nlp.countries import CountryLexicon
from pipeline.nlp.profiles import ArticleCountries, dateline_country
from pipeline.settings import Settings


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load(Settings())


def _speaker(enricher: Enricher, text: str, quote: str) -> Speaker:
    article = enricher.enrich(Article(id="t", text=text))
    hits = [q for q in article.quotes if quote in q.text]
    assert len(hits) == 1, [q.text for q in article.quotes]
    return hits[0].speaker


@pytest.mark.parametrize(
    ("text", "quote", "country", "source"),
    [
        # role: a nationality word, a possessor, an office or party of some states
        ('Norwegian Fisheries Minister Ola Brekke said the quota was "final".', "final", "NO", "role"),
        ('"The door is open," said Ines Moura, Portugal\'s foreign minister.', "door is open", "PT", "role"),
        ('Labour MP Jane Holt said the bill was "a betrayal of renters".', "betrayal", "GB", "role"),
        (
            'Chancellor of the Exchequer Paul Dane said borrowing would fall "sharply".',
            "sharply",
            "GB",
            "role",
        ),
        ('Ontario Premier Lisa Hart said the deal was "good for workers".', "good for workers", "CA", "role"),
        # "Tory" is British or Canadian: the Canadian dateline settles it
        (
            'OTTAWA \u2014 Tory leader Mark Fenn said the budget was "reckless". Canada\'s deficit grew.',
            "reckless",
            "CA",
            "role",
        ),
        (
            'Tory leader Mark Fenn said the cuts were "overdue". '
            "Britain's deficit grew, the UK Treasury said.",
            "overdue",
            "GB",
            "role",
        ),
        # organisation: named, known, its base
        (
            'Sgt. Paul Ames of the RCMP said the victim was "known to police".',
            "known to police",
            "CA",
            "organisation",
        ),
        ('"Nobody was hurt," said Paul Ames, an RCMP spokesman.', "Nobody was hurt", "CA", "organisation"),
        (
            '"We are reviewing the ruling," said Tom Reyes, a spokesman for Moncton-based Tidewater Foods.',
            "reviewing the ruling",
            "CA",
            "organisation",
        ),
        ('The Pentagon said the drills were "routine".', "routine", "US", "organisation"),
        (
            "The strike will end on Monday, the Belgian news agency Belga said.",
            "strike will end",
            "BE",
            "organisation",
        ),
        # place: the speaker's own town
        # (a town of the gazetteer counts where the article uses it as a place: "Norman" or "Green"
        # are towns somewhere, and a person or a party in most stories)
        (
            "Floods closed roads in Moncton on Sunday. "
            'A Moncton resident, Ann Poole, said the water rose "in minutes".',
            "in minutes",
            "CA",
            "place",
        ),
        ('"It was terrifying," said Ann Poole, 45, of Moncton.', "terrifying", "CA", "place"),
        ('Saskatoon police said the driver was "not impaired".', "not impaired", "CA", "place"),
        (
            "The clinic opened in Halifax last year. "
            '"We will beat this," said Halifax radiation oncologist Robert Rutledge.',
            "beat this",
            "CA",
            "place",
        ),
        # dateline
        ('MONCTON, N.B. \u2014 Ann Poole said the water rose "in minutes".', "in minutes", "CA", "dateline"),
        # the article's own country
        (
            "Labour and the Tories clashed in the Commons on Monday over the NHS.\n\n"
            'Sarah Lee said the row was "a distraction".',
            "distraction",
            "GB",
            "article",
        ),
        # "Tory" in a story about Kenya: neither Britain nor Canada, the story's own country
        (
            "Kenya's Tory-style opposition met in Nairobi. Kenyan police watched.\n\n"
            'Party chief Joe Wafula said the vote was "stolen".',
            "stolen",
            "KE",
            "article",
        ),
        # currencies are no country evidence: "U.S. dollars" does not make a Taiwanese story American
        (
            "Taiwan's reserves rose to 76 billion U.S. dollars, and U.S. dollar deposits in Taiwan grew by "
            "2 billion U.S. dollars.\n\n"
            'Central bank governor Chang Wei said the rise was "temporary".',
            "temporary",
            "TW",
            "article",
        ),
    ],
)
def test_speaker_country(enricher: Enricher, text: str, quote: str, country: str, source: str) -> None:
    speaker = _speaker(enricher, text, quote)
    assert (speaker.country, speaker.country_source) == (country, source), speaker


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # a surname or a party that is also a town somewhere is no place
        ('Green leader Ann Norman said the result was "historic".', "historic"),
        # a person's surname is no town, even where spaCy tags it as one
        (
            "Vice-Admiral Mark Norman was charged in Ottawa. Lawyers flew in from Norman.\n\n"
            'Norman\'s lawyers said the case was "weak".',
            "weak",
        ),
        ('Mr Blair\'s official spokesman said the talks were "constructive".', "constructive"),
        # a dateline abroad, a story about other countries: not the speaker's country
        (
            "SINGAPORE -- Asian shares fell after U.S. data showed American factories slowing and "
            "China's exports shrank.\n\n"
            'Jo Lim said investors were "nervous".',
            "nervous",
        ),
        # an international body has no country, whatever the dateline
        ('OTTAWA \u2014 UN spokesman Paul Dorn said the talks would "resume soon".', "resume soon"),
        # unnamed experts are not placed by the dateline
        ('OTTAWA \u2014 Experts said the plan would "never work".', "never work"),
        # a story about two countries names neither for an unplaced speaker
        (
            "Finland and Estonia are investigating damage to a cable. Estonia's navy and Finland's "
            "coast guard joined the search.\n\n"
            'The operator said repairs would take "months".',
            "months",
        ),
    ],
)
def test_no_country_without_evidence(enricher: Enricher, text: str, quote: str) -> None:
    speaker = _speaker(enricher, text, quote)
    assert (speaker.country, speaker.country_source) == (None, None), speaker


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("OTTAWA \u2014 The budget passed.", "CA"),
        ("TROUT BROOK, N.B. \u2014 The fire spread.", "CA"),
        ("Jane Roe, The Associated Press\n\n\n\nBANGKOK -- Stocks fell.", "TH"),
        ("TOKYO, Oct 3 - Rates held.", "JP"),
        ("MILTON, Ont. \u2014 Rain fell.", "CA"),
        ("UPDATE - Stocks fell.", None),
        ("The budget passed in OTTAWA \u2014 again.", None),
    ],
)
def test_dateline_country(lexicon: CountryLexicon, text: str, country: str | None) -> None:
    assert dateline_country(text, lexicon, ArticleCountries()) == country


@pytest.mark.parametrize(
    ("counts", "candidates", "chosen"),
    [
        ({}, ("GB", "CA"), "GB"),  # no evidence at all: the first
        ({"CA": 3}, ("GB", "CA"), "CA"),  # the article's evidence settles it
        ({"KE": 4}, ("GB", "CA"), None),  # evidence only for other countries: none
        ({"KE": 4}, ("FR",), "FR"),  # one candidate needs no settling
        ({"GB": 1, "CA": 1}, ("CA", "GB"), "CA"),  # a tie: the earlier candidate
    ],
)
def test_article_settles_candidates(
    counts: dict[str, int], candidates: tuple[str, ...], chosen: str | None
) -> None:
    assert ArticleCountries(counts).choose(candidates) == chosen


@pytest.mark.parametrize(
    ("counts", "dominant"),
    [({"CA": 5, "US": 1}, "CA"), ({"CA": 1}, None), ({"KE": 3, "US": 3, "SO": 2}, None), ({}, None)],
)
def test_article_dominant_country(counts: dict[str, int], dominant: str | None) -> None:
    assert ArticleCountries(counts).dominant() == dominant


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Labour MP", [("GB", "NZ", "IE", "AU"), ("GB", "CA", "AU", "NZ", "IE", "IN")]),
        ("shadow home secretary", [("GB",)]),
        ("the labour market", []),  # a party needs its capital letter
        ("a UN envoy", [()]),  # an international body: no country
        ("Senate National Finance Committee", [("US", "CA", "AU", "IE")]),
    ],
)
def test_institutions_in(lexicon: CountryLexicon, text: str, codes: list[tuple[str, ...]]) -> None:
    assert lexicon.institutions_in(text) == codes


@pytest.mark.parametrize(
    ("place", "codes"),
    [
        ("Moncton", ("CA",)),  # the gazetteer
        ("Drayton Valley", ("CA",)),
        ("London", ("GB",)),  # far larger than London, Ont.
        ("Toronto", ("CA",)),  # a country word of the lexicon
        ("B.C.", ("CA",)),
        ("reading", ()),  # lower case: no town
        ("Narnia", ()),
    ],
)
def test_place_codes(lexicon: CountryLexicon, place: str, codes: tuple[str, ...]) -> None:
    assert lexicon.place_codes(place) == codes


def test_halifax_is_settled_by_the_article(lexicon: CountryLexicon) -> None:
    codes = lexicon.place_codes("Halifax")
    assert codes[:2] == ("CA", "GB")
    assert ArticleCountries({"GB": 3}).choose(codes) == "GB"
    assert ArticleCountries({"CA": 3}).choose(codes) == "CA"


@pytest.mark.parametrize(
    ("text", "quote", "role"),
    [
        # apposition with a common noun no title list knows
        (
            '"We need water," said Lorne Hale, a retired Alberta wildlife biologist, on Sunday.',
            "need water",
            "retired wildlife biologist",
        ),
        # a descriptive title before the name, in full
        (
            '"It will cost more," former Conservative infrastructure critic Mike Chong said.',
            "cost more",
            "former Conservative infrastructure critic",
        ),
        (
            'Shadow home secretary Dan Reeve said the plan was "unworkable".',
            "unworkable",
            "Shadow home secretary",
        ),
        (
            'Lord Chief Justice Peter Lane said the sentence was "too lenient".',
            "too lenient",
            "Lord Chief Justice",
        ),
        (
            'Chancellor of the Exchequer Paul Dane said borrowing would fall "sharply".',
            "sharply",
            "Chancellor of the Exchequer",
        ),
        # "X, who is Y"
        (
            'Kevin Vane, who became Canada\'s ambassador to Ireland, said the visit was "moving".',
            "moving",
            "ambassador to Ireland",
        ),
        # an apposition the parser misses, read from the words
        (
            "Nadia Bains, Minister of Innovation, Science and Economic Development, "
            'said the fund was "full".',
            "fund was",
            "Minister of Innovation, Science and Economic Development",
        ),
        ('"It hurts," said Jo Li, 45, a nurse from Moncton.', "It hurts", "nurse from Moncton"),
        # names listed after a title are not part of it
        (
            '"No comment," said the Minister of Finance, Tom Fry and Jo Li.',
            "No comment",
            "Minister of Finance",
        ),
        # "A spokesman for X, Y,"
        (
            'A spokesman for Valero, Steve Fry, said the refinery was "shut".',
            "refinery",
            "spokesman for Valero",
        ),
        # an organisation's description
        ("The British aid group Hopewell said its director was among the dead.", "director", "aid group"),
        # an unnamed speaker is known by its description
        ('A Defra spokesman said the checks were "thorough".', "thorough", "Defra spokesman"),
        (
            "Sources familiar with the talks said a deal was close.",
            "deal was close",
            "Sources familiar with the talks",
        ),
    ],
)
def test_speaker_role(enricher: Enricher, text: str, quote: str, role: str) -> None:
    assert _speaker(enricher, text, quote).role == role


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # never a neighbour's role: Tony Blair is not the Tory leader he met
        ('Tony Blair met Tory leader Michael Howard. Blair said the talks were "useful".', "useful"),
        ('"It hurts," said Jo Li, Tom Fry and Ann Cole.', "It hurts"),  # a list of people is no role
        ('"We won," said Jo Li, adding that the team was "tired".', "We won"),
        ("Acme Corp said profits rose 4 percent in the quarter.", "profits rose"),
        # a pronoun describes nobody
        ('Ann Lee left early. "I was tired," she said.', "I was tired"),
    ],
)
def test_no_role_from_neighbours(enricher: Enricher, text: str, quote: str) -> None:
    assert _speaker(enricher, text, quote).role is None
