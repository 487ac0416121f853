"""Entities with document-level consistency, and the person index, on the real spaCy model."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.ingest.normalize import normalize_wire
from pipeline.nlp.entities import analyse_entities, build_person_index, extract_entities
from pipeline.settings import PROJECT_ROOT

SHARED_SEED = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"


def _canon(nlp: Language, text: str) -> dict[str, set[str]]:
    """surface text -> canonical names of PERSON entities with that surface."""
    out: dict[str, set[str]] = {}
    for e in extract_entities(nlp(text)):
        if e.label == "PERSON":
            out.setdefault(e.text, set()).add(e.canonical)
    return out


@pytest.mark.parametrize(
    ("text", "surface", "canonical"),
    [
        # a surname after the full name
        ("Anatoly Antonov spoke first. Later Antonov said more.", "Antonov", "Anatoly Antonov"),
        # honorific and possessive are not part of the canonical name
        ("John Smith arrived. Mr. Smith's aide was late.", "Smith", "John Smith"),
        # a first name that only one person has
        ("Hillary Clinton spoke. Hillary left.", "Hillary", "Hillary Clinton"),
        # two people share a surname: the nearest full name before the mention
        (
            "Hillary Clinton and Bill Clinton met. Bill Clinton spoke; Clinton smiled.",
            "Clinton",
            "Bill Clinton",
        ),
        # a full name repeated is its own canonical form
        ("Paul Whelan is held. Paul Whelan called.", "Paul Whelan", "Paul Whelan"),
        # someone only ever named by one word keeps that word
        ("Antonov noted that it works. Antonov added more.", "Antonov", "Antonov"),
    ],
)
def test_person_canonical_names(nlp: Language, text: str, surface: str, canonical: str) -> None:
    assert _canon(nlp, text).get(surface) == {canonical}


def test_surname_tagged_org_is_relabelled_person(nlp: Language) -> None:
    # spaCy tags the bare "Whelan" ORG here; the full name elsewhere makes it a person.
    text = (
        "Earlier, CNN reported that US Secretary of State Antony Blinken had a phone call with Paul "
        "Whelan, who is imprisoned in Russia. The US is doing everything in its power to bring Whelan "
        "home as soon as possible."
    )
    doc = nlp(text)
    assert any(e.text == "Whelan" and e.label_ != "PERSON" for e in doc.ents), "model changed: fix the case"
    whelan = [e for e in extract_entities(doc) if e.text == "Whelan"]
    assert [(e.label, e.canonical) for e in whelan] == [("PERSON", "Paul Whelan")]


def test_country_words_are_never_relabelled(nlp: Language) -> None:
    doc = nlp("Maria Moscow met officials. Moscow rejected the plan, Moscow officials said.")
    labels = {(e.text, e.label) for e in extract_entities(doc)}
    assert ("Moscow", "PERSON") not in labels


def test_non_person_entities_keep_labels_and_offsets(nlp: Language) -> None:
    text = "The Kremlin's spokesman spoke in Moscow on Monday."
    ents = extract_entities(nlp(text))
    for e in ents:
        assert text[e.start : e.end] == e.text
    by_text = {e.text: e for e in ents}
    assert by_text["Moscow"].label == "GPE"
    assert by_text["Monday"].label == "DATE"


def test_entities_sorted_and_offsets_match_original_after_normalisation(nlp: Language) -> None:
    raw = SHARED_SEED.read_text(encoding="utf-8")
    ents = extract_entities(nlp(normalize_wire(raw)), original=raw)
    assert [e.start for e in ents] == sorted(e.start for e in ents)
    for e in ents:
        assert raw[e.start : e.end] == e.text
    texts = {e.text for e in ents}
    # bracketed words realigned onto the original: the bracket stays inside, no letter is lost
    assert "US] Administration" in texts
    assert "Viktor] Bout" in texts


def test_entities_without_original_read_the_clean_text(nlp: Language) -> None:
    raw = "He freed [Viktor] Bout."
    ents = extract_entities(nlp(normalize_wire(raw)))
    assert [(e.text, e.label) for e in ents if e.label == "PERSON"] == [("Viktor Bout", "PERSON")]


def test_seed_person_index(nlp: Language) -> None:
    index = build_person_index(nlp(normalize_wire(SHARED_SEED.read_text(encoding="utf-8"))))
    assert index.names[:1] == ["Antonov"]
    assert {"Antony Blinken", "Sergey Ryabkov", "Paul Whelan"} <= set(index.names)
    assert [p.start for p in index.persons] == sorted(p.start for p in index.persons)
    blinken = index.mentions_of("Antony Blinken")
    assert [m.text for m in blinken] == ["Antony Blinken", "Blinken"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Antony Blinken", "Antony Blinken"),
        ("Blinken", "Antony Blinken"),
        ("blinken", "Antony Blinken"),
        ("Blinken's", "Antony Blinken"),
        ("Mr. Blinken", "Antony Blinken"),
        ("Antony", "Antony Blinken"),
        ("A. Blinken", "Antony Blinken"),
        ("RYABKOV", "Sergey Ryabkov"),
        ("Antonov", "Antonov"),
        ("Antonov\u2019s", "Antonov"),
        # negatives
        ("Smith", None),
        ("John Blinken", None),
        ("the diplomat", None),
        ("", None),
    ],
)
def test_person_index_resolve(nlp: Language, query: str, name: str | None) -> None:
    index = build_person_index(nlp(normalize_wire(SHARED_SEED.read_text(encoding="utf-8"))))
    assert index.resolve(query) == name


def test_resolve_shared_surname_by_position(nlp: Language) -> None:
    doc = nlp(
        "Justin Trudeau spoke in Ottawa. Pierre Trudeau had said the same thing in 1970. Trudeau agreed."
    )
    index = build_person_index(doc)
    assert index.resolve("Trudeau", before_token=len(doc)) == "Pierre Trudeau"
    assert index.resolve("Trudeau", before_token=3) == "Justin Trudeau"
    assert index.resolve("Justin") == "Justin Trudeau"


def test_analysis_is_cached_on_the_doc(nlp: Language) -> None:
    doc = nlp("Anatoly Antonov spoke.")
    assert analyse_entities(doc) is analyse_entities(doc)


def _with_ents(nlp: Language, text: str, ents: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Parse ``text`` with the real model, then impose the given (surface, label) entities — the
    mistakes the model makes on real news — and return (text, label, canonical) of the fixed result."""

    doc = nlp(text)
    spans = []
    pos = 0
    for surface, label in ents:  # in text order: each is searched after the previous one
        i = text.index(surface, pos)
        pos = i + len(surface)
        span = doc.char_span(i, i + len(surface), label=label)
        assert span is not None, surface
        spans.append(span)
    doc.ents = spans
    return [(e.text, e.label, e.canonical) for e in extract_entities(doc)]


@pytest.mark.parametrize(
    ("text", "ents", "expected"),
    [
        # a full name tagged GPE, the surname tagged PERSON elsewhere
        (
            "Nino Niederreiter scored twice. Niederreiter said it was fun.",
            [("Nino Niederreiter", "GPE"), ("Niederreiter", "PERSON")],
            ("Nino Niederreiter", "PERSON", "Nino Niederreiter"),
        ),
        # a name in a role context tagged ORG
        (
            "The ministry's spokesperson, Elif Demirtas, said so.",
            [("Elif Demirtas", "ORG")],
            ("Elif Demirtas", "PERSON", "Elif Demirtas"),
        ),
        (
            "Ukraine's ambassador to Turkey, Taras Hnatyuk, wrote on Telegram.",
            [("Taras Hnatyuk", "ORG")],
            ("Taras Hnatyuk", "PERSON", "Taras Hnatyuk"),
        ),
        # the name after a possessive inside a WORK_OF_ART span
        (
            "Vancouver's Bo Horvat scored the winner.",
            [("Vancouver's Bo Horvat", "WORK_OF_ART")],
            ("Bo Horvat", "PERSON", "Bo Horvat"),
        ),
        # a capital tagged PERSON
        ("Kyiv has not received any proposal.", [("Kyiv", "PERSON")], ("Kyiv", "GPE", "Kyiv")),
        # the given name left out of the PERSON span
        (
            "Officials said Mamadou Dia was on the phone.",
            [("Dia", "PERSON")],
            ("Mamadou Dia", "PERSON", "Mamadou Dia"),
        ),
    ],
)
def test_label_fixes_on_model_mistakes(
    nlp: Language, text: str, ents: list[tuple[str, str]], expected: tuple[str, str, str]
) -> None:
    assert expected in _with_ents(nlp, text, ents)


@pytest.mark.parametrize(
    ("text", "ents", "kept"),
    [
        # an organisation word keeps an ORG an ORG even in a role context
        (
            "Its spokesperson, Acme Corp, said so.",
            [("Acme Corp", "ORG")],
            ("Acme Corp", "ORG", "Acme Corp"),
        ),
        # a stop word or a plural title before a one-word name is not a given name
        ("Because Dia was late, officials waited.", [("Dia", "PERSON")], ("Dia", "PERSON", "Dia")),
        ("Together, Senators Rubio and Cruz voted no.", [("Rubio", "PERSON")], ("Rubio", "PERSON", "Rubio")),
        # a capitalised pair with no person evidence stays what spaCy said
        ("Maple Leafs won again.", [("Maple Leafs", "ORG")], ("Maple Leafs", "ORG", "Maple Leafs")),
    ],
)
def test_label_fixes_negatives(
    nlp: Language, text: str, ents: list[tuple[str, str]], kept: tuple[str, str, str]
) -> None:
    assert kept in _with_ents(nlp, text, ents)


def test_hyphenated_surname(nlp: Language) -> None:
    doc = nlp("Jody Wilson-Raybould spoke on Monday. Later, Wilson-Raybould left the room.")
    canon = {(e.text, e.canonical) for e in extract_entities(doc) if e.label == "PERSON"}
    assert ("Wilson-Raybould", "Jody Wilson-Raybould") in canon
    assert build_person_index(doc).resolve("Wilson-Raybould's") == "Jody Wilson-Raybould"


@pytest.mark.parametrize(
    ("query", "long_form"),
    [
        ("IRCC", "Immigration, Refugees and Citizenship Canada"),
        ("the RCMP", "Royal Canadian Mounted Police"),
        ("RCMP's", "Royal Canadian Mounted Police"),
        # negatives: an acronym the article never spells out, a description
        ("UN", None),
        ("the department", None),
    ],
)
def test_organisation_acronyms(nlp: Language, query: str, long_form: str | None) -> None:
    doc = nlp(
        "Immigration, Refugees and Citizenship Canada (IRCC) said it would review the file. "
        "The Royal Canadian Mounted Police said so; the RCMP later added more. IRCC declined to comment."
    )
    analysis = analyse_entities(doc)
    assert analysis.canonical_org(query) == long_form
    if long_form is not None and query == "IRCC":
        assert {e.canonical for e in analysis.entities if e.text == "IRCC"} == {long_form}
