"""Behaviour tables for speaker resolution, role and country (over the real spaCy model)."""

from __future__ import annotations

import pytest

from pipeline.enrich import Enricher
from pipeline.models import Article, Quote
from pipeline.nlp.lexicons import load_lexicons
from pipeline.nlp.speakers import person_name
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
    name_gender = load_lexicons().name_gender
    assert name_gender is not None
    got = name_gender(first)
    assert (got[0] if got else None) == gender


# a generic description resolves to the organisation the article names (of a compatible kind)
ORG_ANTECEDENTS = [
    (
        "Halberg Industries reported higher sales on Tuesday.\n\n"
        "The company said that demand for frozen meals had doubled.",
        "frozen meals",
        "Halberg Industries",
    ),
    (
        "Brenmark Bank cut its lending rate on Monday. It said that mortgage demand had slowed.",
        "mortgage",
        "Brenmark Bank",
    ),
    # "the bank" prefers the organisation whose name says bank
    (
        "Talvo Motors borrowed 40 million dollars from Estra Bank last year.\n\n"
        "The bank said that the loan had been repaid.",
        "loan had been repaid",
        "Estra Bank",
    ),
    # "the company" is not a public body named more recently
    (
        "The European Commission fined Lorvin Chemicals on Monday. The company said that it would appeal.",
        "would appeal",
        "Lorvin Chemicals",
    ),
    (
        "Shares in Corvex Mining fell sharply.\n\n"
        '"We are disappointed with the drilling results," the firm said.',
        "drilling results",
        "Corvex Mining",
    ),
    # a title the tagger cut off ("vice-") is not the name: the name that follows is
    (
        "Rovers vice-chairman Tom Hale said that the club would sell its stadium.",
        "sell its stadium",
        "Tom Hale",
    ),
    # an organisation by its name, without its acronym in brackets
    (
        "The World Trade Organisation (WTO) said that tariffs would rise.",
        "tariffs",
        "World Trade Organisation",
    ),
    # an owned office by its owner's full name
    (
        "Prime Minister Alan Reeve visited the plant.\n\n"
        "Reeve's office said that the visit had been planned.",
        "had been planned",
        "Alan Reeve's office",
    ),
]


@pytest.mark.parametrize(("text", "words", "name"), ORG_ANTECEDENTS)
def test_descriptions_resolve_to_the_named_organisation(
    enricher: Enricher, text: str, words: str, name: str
) -> None:
    assert _quote_containing(_quotes(enricher, text), words).speaker.name == name


# the label of a speaker corrected from the words before the name
RELABELED = [
    ("Dutch retail bank Ovara has said that it is in talks with a buyer.", "in talks", "Ovara", "ORG"),
    ('"There is great scope for exports," said Mr Mukerjee.', "great scope", "Mukerjee", "PERSON"),
    # an acronym's long form is the words it abbreviates, not the clause before them
    (
        "Air Lanka will list its shares in London and Hong Kong, the London Stock Exchange (LSE) has said."
        "\n\nThe LSE said that it welcomed the listing.",
        "welcomed the listing",
        "London Stock Exchange",
        "ORG",
    ),
]


@pytest.mark.parametrize(("text", "words", "name", "kind"), RELABELED)
def test_speaker_labels_follow_the_words_before_the_name(
    enricher: Enricher, text: str, words: str, name: str, kind: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert (speaker.name, speaker.type) == (name, kind)


# no organisation or person named: no name, the words of the text as mention (never "It" as a name)
NO_NAME = [
    ("Analysts said that the shares were undervalued.", "undervalued", "Analysts", "ORG"),
    ("The company said that profits would fall this year.", "profits would fall", "The company", "ORG"),
    ("It said that the rules would change in May.", "rules would change", "It", "ORG"),
    ("The unions said that the strike would go ahead.", "strike would go ahead", "The unions", "ORG"),
    (
        "Economists at Delmar Bank said that inflation would ease.",
        "inflation",
        "Economists at Delmar Bank",
        "ORG",
    ),
    ("A spokesman said that the plant would reopen.", "plant would reopen", "A spokesman", "PERSON"),
    # a newspaper is not the company the article is about
    (
        "Shares in Corvex Mining fell.\n\nThe newspaper said that 300 jobs would go.",
        "300 jobs",
        "The newspaper",
        "UNKNOWN",
    ),
]


@pytest.mark.parametrize(("text", "words", "mention", "kind"), NO_NAME)
def test_generic_speakers_have_no_name(
    enricher: Enricher, text: str, words: str, mention: str, kind: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert (speaker.name, speaker.mention, speaker.type) == (None, mention, kind)


# a person's canonical form -> the searchable name (None: the span was cut inside a name or a title)
PERSON_NAMES = [
    ("Anatoly Antonov", "Anatoly Antonov"),
    ("Walter van der Veen", "Walter van der Veen"),
    ("Ali al-Khalifa al-Sabah", "Ali al-Khalifa al-Sabah"),
    ("Fund manager Lena Vogt - the club's largest investor", "Lena Vogt"),
    ("Rovers vice", None),
    ("Walter van", None),
    ("Swedish trades", None),
    ("Ivan Petrov (ret", "Ivan Petrov"),
]


@pytest.mark.parametrize(("canonical", "name"), PERSON_NAMES)
def test_person_names_are_whole_names(canonical: str, name: str | None) -> None:
    assert person_name(canonical) == name


# Pronouns agree in gender, number and entity type: (text, words inside the quote, speaker, not speaker)
PRONOUN_AGREEMENT = [
    # a name modifying a common noun names a thing, not a person a pronoun can refer to
    (
        "Tom Baker urged voters to send a message to the Jim Miller government. "
        '"It has failed everyone," he said.',
        "failed everyone",
        "Tom Baker",
        "Jim Miller",
    ),
    (
        'Sara Lane campaigned for years against the Joan Carter pipeline. "This land is ours," she said.',
        "land is ours",
        None,
        "Joan Carter",
    ),
    # the subject of the nearest candidate's sentence, not a possessor or an object
    (
        "Alan Price is hopeful the council will accept Peter Lowe's offer. "
        '"It is a fair deal for the town," he said.',
        "fair deal",
        "Alan Price",
        "Peter Lowe",
    ),
    (
        'Ruth Kaye hoped the court would hear Anne Bell\'s appeal. "Justice is slow," she said.',
        "Justice is slow",
        "Ruth Kaye",
        "Anne Bell",
    ),
    # a sure first name gives a one-word name its gender: the pet is no "he"
    (
        "Ben Ortiz thanked his terrier Daisy for keeping him fit. "
        '"I walk ten kilometres a day now," he says.',
        "ten kilometres",
        "Ben Ortiz",
        "Daisy",
    ),
    (
        'Mira Sand credits her collie Max with keeping her healthy. "I walk every morning now," she says.',
        "every morning",
        "Mira Sand",
        "Max",
    ),
    # a named subject the tagger did not call a person is still the speaker, not left blank
    (
        'Leo Hart credits his cat Bella with keeping him calm. "I sleep better now," he says.',
        "sleep better",
        "Leo Hart",
        "Bella",
    ),
    # negatives: the nearest person of the pronoun's gender still wins when nothing speaks against it
    (
        'Greg Dunn, the club captain, praised the new stadium. "The pitch is perfect," he said.',
        "pitch is perfect",
        "Greg Dunn",
        None,
    ),
    (
        'Maria Lopez chaired the meeting with Peter Grant.\n\n"We agreed on the budget at last," she said.',
        "budget at last",
        "Maria Lopez",
        "Peter Grant",
    ),
]


@pytest.mark.parametrize(("text", "words", "name", "not_name"), PRONOUN_AGREEMENT)
def test_pronouns_agree_with_their_antecedent(
    enricher: Enricher, text: str, words: str, name: str | None, not_name: str | None
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    if name is not None:
        assert speaker.name == name
    if not_name is not None:
        assert speaker.name != not_name


# A possessed noun: the possessor speaks only through a document ("her statement"), not "his father".
POSSESSORS = [
    ("Maria Lopez will not run again, her statement said.", "not run again", "Maria Lopez"),
    (
        "Laura Finch met the press on Monday. His father said the family would appeal.",
        "family would appeal",
        None,
    ),
    ("Tom Reed stayed at home. His lawyer said the charges would be dropped.", "charges would be", None),
]


@pytest.mark.parametrize(("text", "words", "name"), POSSESSORS)
def test_possessor_speaks_only_through_a_document(
    enricher: Enricher, text: str, words: str, name: str | None
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert speaker.name == name
    assert speaker.mention is not None


# An organisation or a document as subject is the speaker; a spokesperson named in apposition is.
# (text, words inside the quote, expected name, expected type)
ORG_SUBJECTS = [
    (
        "The Daily Courier newspaper said the mayor had resigned.",
        "mayor had resigned",
        "Daily Courier",
        "ORG",
    ),
    (
        "A Westbridge Institute report says rents rose by 12 per cent last year.",
        "rents rose",
        "Westbridge Institute",
        "ORG",
    ),
    ("The Evening Post tabloid said the mayor would resign.", "mayor would resign", "Evening Post", "ORG"),
    ("The Kestrel Oil statement said output would rise.", "output would rise", "Kestrel Oil", "ORG"),
    (
        "A spokesman for Northgate Energy, Paul Ames, said the plant would reopen.",
        "plant would reopen",
        "Paul Ames",
        "PERSON",
    ),
    (
        "A spokeswoman for the ministry, Ana Ruiz, said the talks would continue.",
        "talks would continue",
        "Ana Ruiz",
        "PERSON",
    ),
    (
        "Quantum, the largest fund in the group, said it would sell its shares.",
        "sell its shares",
        "Quantum",
        "ORG",
    ),
    # negatives: a place, a party or a group before the noun is not the speaker's name
    ("The Australian government said it would appeal.", "would appeal", None, "ORG"),
    ("The Conservative party said it would vote against the bill.", "vote against", None, "ORG"),
    ("Finance officials said the deficit would shrink.", "deficit would shrink", None, "ORG"),
]


@pytest.mark.parametrize(("text", "words", "name", "kind"), ORG_SUBJECTS)
def test_organisations_and_documents_speak(
    enricher: Enricher, text: str, words: str, name: str | None, kind: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert (speaker.name, speaker.type) == (name, kind)


def test_each_speaker_carries_its_evidence(enricher: Enricher) -> None:
    text = (
        "Health Minister Ana Ruiz opened the clinic on Monday. "
        '"It will treat 400 patients a week," she said.\n\n'
        '"We start with children."\n\n'
        "A private security guard said the doors would open at nine."
    )
    quotes = _quotes(enricher, text)
    named = _quote_containing(quotes, "400 patients").speaker
    assert (named.name, named.rule, named.confidence) == ("Ana Ruiz", "pronoun.nearest_person", "high")
    assert named.mention_start is not None and named.mention_end is not None
    assert text[named.mention_start : named.mention_end] == "she"
    floating = _quote_containing(quotes, "start with children").speaker
    assert (floating.name, floating.rule) == ("Ana Ruiz", "floating.continues_previous")
    assert floating.mention_start is None  # no mention of its own
    unnamed = _quote_containing(quotes, "doors would open").speaker
    assert (unnamed.name, unnamed.rule, unnamed.confidence) == (None, "new_description", "low")
    assert text[unnamed.mention_start or 0 : unnamed.mention_end or 0] == "A private security guard"


def test_every_rule_has_a_known_name() -> None:
    from pipeline.nlp.speakers import MENTION_RULES, RULE_CONFIDENCE

    names = [name for name, _ in MENTION_RULES]
    assert len(names) == len(set(names))
    assert {"person_named", "pronoun.recent_speaker", "floating.named_before"} <= set(RULE_CONFIDENCE)
    assert set(RULE_CONFIDENCE.values()) <= {"high", "medium", "low"}


_FLOOD = (
    '"The river rose two metres overnight," said Paul Okoye, the town\'s mayor.\n\n'
    '"We have never seen anything like it."\n\n'
)
# A floating quote after a paragraph of narration goes back to the last speaker, unless the narration
# names someone else. (text, words inside the quote, speaker name, rule)
RESUMES = [
    (
        _FLOOD
        + 'For towns along the valley, the cleanup will take months.\n\n"We will rebuild every bridge."',
        "rebuild every bridge",
        "Paul Okoye",
        "floating.resumes_previous",
    ),
    (
        _FLOOD + 'Across the valley, Maria Lopez lost half of her herd.\n\n"We will rebuild every bridge."',
        "rebuild every bridge",
        None,
        "unresolved",
    ),
]


@pytest.mark.parametrize(("text", "words", "name", "rule"), RESUMES)
def test_floating_quote_resumes_the_last_speaker(
    enricher: Enricher, text: str, words: str, name: str | None, rule: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert (speaker.name, speaker.rule) == (name, rule)


# `they` can be an organisation: the subject of the sentence before, when nobody is named there.
THEY = [
    (
        'The Harbor Council voted on Monday to close the bridge. "It is not safe for anyone," they said.',
        "not safe",
        "Harbor Council",
        "ORG",
    ),
    # negatives: a group of people, and an organisation sentence that also names a person
    (
        'Farmers from the valley marched on Monday. "We want our land back," they said.',
        "land back",
        None,
        "UNKNOWN",
    ),
    (
        'The Harbor Council met Maria Lopez on Monday. "It is not safe for anyone," they said.',
        "not safe",
        None,
        "UNKNOWN",
    ),
]


@pytest.mark.parametrize(("text", "words", "name", "kind"), THEY)
def test_they_can_be_an_organisation(
    enricher: Enricher, text: str, words: str, name: str | None, kind: str
) -> None:
    speaker = _quote_containing(_quotes(enricher, text), words).speaker
    assert (speaker.name, speaker.type) == (name, kind)
    assert speaker.mention == "they"
