"""Behaviour tables for quote extraction: quotation pairing (pure text) and attribution (over spaCy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pipeline.ingest.normalize import normalize_wire
from pipeline.nlp.quotes import QuoteMatch, extract_quotes, find_quotations, load_cue_lexicon
from pipeline.settings import Settings

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="module")
def nlp() -> Language:
    from pipeline.enrich import with_paragraph_breaks
    from pipeline.nlp.loader import load_nlp

    return with_paragraph_breaks(load_nlp(Settings().spacy_model))


def _quoted(text: str) -> list[str]:
    return [text[q.start : q.end] for q in find_quotations(text)]


# --- quotation marks (no parser) -------------------------------------------------------------

PAIRING = [
    ('He said "yes" and "no".', ['"yes"', '"no"']),
    ("\u201cCurly marks pair,\u201d she said.", ["\u201cCurly marks pair,\u201d"]),
    ("''Doubled apostrophes,'' the paper wrote.", ["''Doubled apostrophes,''"]),
    # an unclosed quotation is dropped alone; the next paragraph's pair survives
    ('"Never closed here.\n\nPlain prose. "Closed," he said.', ['"Closed,"']),
    # a paragraph that stays open continues when the next one reopens with a mark
    ('"First part.\n\n"Second part," she said.', ['"First part.\n\n"Second part,"']),
    # ... but not when the next paragraph starts with prose
    ('"Dangling start.\n\nThen prose follows.', []),
    ("No quotation marks at all.", []),
    ("It's an apostrophe, not a quote.", []),
]


@pytest.mark.parametrize(("text", "expected"), PAIRING)
def test_find_quotations_pairs_marks_per_paragraph(text: str, expected: list[str]) -> None:
    assert _quoted(text) == expected


def test_multi_paragraph_quotation_is_reported_per_paragraph() -> None:
    text = '"One.\n\n"Two.\n\n"Three," he said.'
    [q] = find_quotations(text)
    assert q.multi_paragraph
    assert [text[s:e] for s, e in q.segments] == ['"One.', '"Two.', '"Three,"']


# --- attribution (parser) --------------------------------------------------------------------


def _extract(nlp: Language, text: str) -> list[tuple[str, str, str | None, str | None]]:
    doc = nlp(normalize_wire(text))
    out = []
    for m in extract_quotes(doc, load_cue_lexicon()):
        speaker = doc[m.speaker_token].text if m.speaker_token is not None else None
        out.append((m.kind, text[m.start : m.end], m.cue, speaker))
    return out


POSITIVE = [
    # direct: cue after, cue before with a colon, inverted "said X"
    (
        '"The harbour will reopen next week," Mayor Lina Okafor said.',
        ("direct", '"The harbour will reopen next week,"', "said", "Okafor"),
    ),
    (
        'The mayor told reporters: "We expect the ferries back by Friday."',
        ("direct", '"We expect the ferries back by Friday."', "told", "mayor"),
    ),
    (
        '"Nobody saw the storm coming," said Tomas Verhoeven, the harbour master.',
        ("direct", '"Nobody saw the storm coming,"', "said", "Verhoeven"),
    ),
    # indirect: that-clause, bare clause, clause first, according to
    (
        "Okafor underscored that the council would pay for the repairs.",
        ("indirect", "that the council would pay for the repairs", "underscored", "Okafor"),
    ),
    (
        "Verhoeven said the cranes were damaged beyond repair.",
        ("indirect", "the cranes were damaged beyond repair", "said", "Verhoeven"),
    ),
    (
        "The repairs will take at least three months, the port authority said.",
        ("indirect", "The repairs will take at least three months", "said", "authority"),
    ),
    (
        "According to the coast guard, two vessels ran aground overnight.",
        ("indirect", "two vessels ran aground overnight", "According", "guard"),
    ),
    # the that-clause hung on "statement" by the parser still belongs to the cue
    (
        "The port authority said in a statement that the berths would reopen on Friday.",
        ("indirect", "that the berths would reopen on Friday", "said", "authority"),
    ),
    # mixed: reported speech carrying a quoted fragment
    (
        'Okafor said the damage was "worse than anything we have seen" in decades.',
        ("mixed", 'the damage was "worse than anything we have seen" in decades', "said", "Okafor"),
    ),
    # a naming verb puts quoted words on its object
    (
        'Okafor called the new levy "a tax on fishermen" during the debate.',
        ("mixed", 'the new levy "a tax on fishermen"', "called", "Okafor"),
    ),
    # a participle takes the speaker of its governing verb
    (
        'The minister praised the crews, adding that the port "will be stronger" after the rebuild.',
        ("mixed", 'that the port "will be stronger" after the rebuild', "adding", "minister"),
    ),
    # a clause-final attribution after a passive clause keeps its own subject
    (
        "The ferry was supposed to be escorted by a tug, but the crew sailed out before the tug could "
        "follow it, another harbour official said.",
        (
            "indirect",
            "The ferry was supposed to be escorted by a tug, but the crew sailed out before the tug could "
            "follow it",
            "said",
            "official",
        ),
    ),
    # a dateline the parser takes for the complement: the statement follows the cue
    (
        "HALIFAX \u2014 Opposition Leader Mara Lind says Premier Tom Hale is the most divisive premier "
        "in the history of the province.",
        (
            "indirect",
            "Premier Tom Hale is the most divisive premier in the history of the province",
            "says",
            "Lind",
        ),
    ),
    # an inverted clause-final attribution the parser reads as verb + object
    (
        "That is not just a problem for the young people who are affected, but for society at large, "
        "argued Lind.",
        (
            "indirect",
            "That is not just a problem for the young people who are affected, but for society at large",
            "argued",
            "Lind",
        ),
    ),
    # an abbreviation's period followed by lower case does not end the statement
    (
        "Lind says she has lost 16 lbs. since she signed up for the city's walking program.",
        (
            "indirect",
            "she has lost 16 lbs. since she signed up for the city's walking program",
            "says",
            "Lind",
        ),
    ),
    # a participle after the reported clause is a statement of its own, by the same speaker (nested)
    (
        "Lind said the vote showed her party needs renewal, noting that its share of the vote rose.",
        (
            "indirect",
            "the vote showed her party needs renewal, noting that its share of the vote rose",
            "said",
            "Lind",
        ),
    ),
    (
        "Lind said the vote showed her party needs renewal, noting that its share of the vote rose.",
        ("indirect", "that its share of the vote rose", "noting", "Lind"),
    ),
    (
        "Mr. Lind argued that the move hurt his group, noting the board lobbies its members by e-mail.",
        ("indirect", "the board lobbies its members by e-mail", "noting", "Lind"),
    ),
    (
        '"It does say that in the letter," Kim confirmed, adding that "nobody told us."',
        ("mixed", 'that "nobody told us."', "adding", "Kim"),
    ),
    # a reason the parser hangs on the cue is part of the claim
    (
        "Hale said the plan smacked of hypocrisy, because his rivals had backed the same levy for years.",
        (
            "indirect",
            "the plan smacked of hypocrisy, because his rivals had backed the same levy for years",
            "said",
            "Hale",
        ),
    ),
    # a statement attributed inside another reported statement is reported too
    (
        "Lind said she heard from many voters who said they would stay home on election day.",
        ("indirect", "they would stay home on election day", "said", "voters"),
    ),
    # a quotation after the reported clause's colon is the rest of the statement
    (
        'Okafor said the harbour was ready: "We can take the big ships again."',
        ("mixed", 'the harbour was ready: "We can take the big ships again."', "said", "Okafor"),
    ),
    # a quoted title before the speaker is no statement: the cue's own clause is
    (
        'On "The Morning Harbour Show," the mayor said the berths would reopen in spring.',
        ("indirect", "the berths would reopen in spring", "said", "mayor"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_attributed_statements_are_found(nlp: Language, text: str, expected: tuple[str, ...]) -> None:
    assert expected in _extract(nlp, text)


NEGATIVE = [
    # a link to another story is furniture, not a statement in this one
    "READ MORE: Harbour master says the ferries will not run before the summer",
    # a scare quote or a title inside narrative is not a statement
    'The so-called "smart harbour" plan was shelved in March.',
    'She reviewed the novel "A Quiet Harbour" for the weekly paper.',
    # speech verbs that report events, not statements
    "The index added 0.4 per cent to close at 2,104 points.",
    "The company announced a new ferry route on Monday.",
    "The mayor did not say when the harbour would reopen.",
    # a relative clause on "statement" is no content
    "The port authority said nothing in a statement that was posted online.",
    # a naming verb without quoted words names nothing
    "The mayor called a meeting of the harbour board for Monday.",
    # "told" with a passive subject: the listener, not a source
    "The crew was told the storm would pass by noon.",
    # a belief verb without a quotation does not attribute a statement
    "Residents believe the harbour will never be the same.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_non_statements_are_not_quotes(nlp: Language, text: str) -> None:
    assert _extract(nlp, text) == []


def test_floating_quotation_follows_attributed_one(nlp: Language) -> None:
    text = (
        '"We lost two cranes," Verhoeven said.\n\n'
        '"It will take months before the container terminal works again."'
    )
    found = _extract(nlp, text)
    assert [k for k, *_ in found] == ["direct", "direct"]
    assert found[1][2] is None  # no cue of its own: a floating quote


def test_unclosed_quotation_drops_only_that_quote(nlp: Language) -> None:
    text = (
        '"This one never closes, the editor forgot the mark.\n\n'
        "Okafor said the council would meet again on Thursday."
    )
    found = _extract(nlp, text)
    assert found == [("indirect", "the council would meet again on Thursday", "said", "Okafor")]


def test_multi_paragraph_quote_keeps_the_final_cue(nlp: Language) -> None:
    text = (
        '"The storm came faster than any forecast said it would.\n\n'
        '"We had twenty minutes to move the boats," Verhoeven said.'
    )
    found = _extract(nlp, text)
    assert len(found) == 2
    assert all(kind == "direct" and cue == "said" and who == "Verhoeven" for kind, _, cue, who in found)


def test_offsets_index_the_original_text(nlp: Language) -> None:
    text = ' date 2024-01-02 "The [port] will reopen," Okafor said.\n\nRHM/PR'
    doc = nlp(normalize_wire(text))
    matches: list[QuoteMatch] = extract_quotes(doc, load_cue_lexicon())
    assert [text[m.start : m.end] for m in matches] == ['"The [port] will reopen,"']


LABELS = [
    ("Helen Marsh: The ferries will run again before the summer season.", "Marsh"),
    # an organisation speaks in a headline label too
    ("Coastal Shipping Ltd: Ferries will run again by Friday", "Ltd"),
    ("READ MORE: Ferries will run again before the summer season", None),
    ("Weather warning: Ferries will not run again before the summer season.", None),
]


@pytest.mark.parametrize(("text", "speaker"), LABELS)
def test_speaker_label_at_paragraph_start(nlp: Language, text: str, speaker: str | None) -> None:
    found = _extract(nlp, text)
    assert [who for *_, who in found] == ([speaker] if speaker else [])


def test_quoted_title_before_an_attribution_is_not_the_statement(nlp: Language) -> None:
    found = _extract(nlp, 'On "The Morning Harbour Show," the mayor said the berths would reopen in spring.')
    assert not any(kind == "direct" for kind, *_ in found)


def test_a_nested_statement_is_listed_before_the_one_containing_it(nlp: Language) -> None:
    found = _extract(
        nlp, "Lind said she heard from many voters who said they would stay home on election day."
    )
    assert [(cue, who) for _, _, cue, who in found] == [("said", "voters"), ("said", "Lind")]
