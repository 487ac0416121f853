"""Layout-robust text (issue 9 item 1): hard wraps vs paragraph breaks, CRLF, tabs, NBSP, and the
pairing of quotation marks of every style; metamorphic tests on invented stories."""

from __future__ import annotations

import re

import pytest
from spacy.language import Language

from pipeline.bench.layout_agreement import join_lines, wrap_lines
from pipeline.enrich import Enricher, with_paragraph_breaks
from pipeline.ingest.normalize import compact_line_ends, join_wrapped_lines, normalize_wire
from pipeline.models import Article, EnrichedArticle
from pipeline.nlp.lexicons import load_lexicons
from pipeline.nlp.quotes import find_quotations

# An invented story: attributions before and after quotations, a quotation over two paragraphs (the
# first left open, the next reopening), reported speech, a two-word name that wrapping will split.
PARAGRAPHS = [
    "The harbour authority of Port Elwen said on Monday that the new ferry terminal would open "
    "in the spring after two years of delays caused by flooding and a shortage of steel.",
    '"We have waited long enough for this, and the people of the island deserve a reliable '
    'service," said Marta Quillon, who chairs the authority and has campaigned for the terminal.',
    "Quillon added that the old pier would be turned into a public walkway with shops and a small "
    "museum about the history of the ferry crossing.",
    '"The contractors assured us the work is on schedule. The steel has arrived and the cranes are in place.',
    '"If the weather holds, the first sailing will leave in April," Quillon told reporters at the '
    "harbour office.",
    "Transport minister Olav Brennick said the government would cover a third of the cost, which "
    "has risen to 48 million crowns since the project was approved.",
]
ONE_PER_LINE = "\n\n".join(PARAGRAPHS)


def _wrap_paragraph(paragraph: str, width: int) -> str:
    return wrap_lines(paragraph, width)


def blank_line_wrapped(width: int) -> str:
    return "\n\n".join(_wrap_paragraph(p, width) for p in PARAGRAPHS)


def indented_wrapped(width: int) -> str:
    """Reuters style: each paragraph wrapped, the next starting on an indented line."""
    return "\n    ".join(_wrap_paragraph(p, width) for p in PARAGRAPHS)


def _curly(text: str) -> str:
    """Straight double marks -> curly, by position (before a word: opening)."""
    return re.sub(r'"(?=\w)', "\u201c", text).replace('"', "\u201d")


@pytest.fixture(scope="module")
def enricher(nlp: Language) -> Enricher:
    return Enricher(with_paragraph_breaks(nlp), load_lexicons())


def _statements(out: EnrichedArticle) -> list[tuple[str, str | None]]:
    """Quotes as (words, speaker): whitespace and quote styles folded, so layouts compare."""
    words = [
        " ".join(q.text.replace("\u201c", '"').replace("\u201d", '"').split()).strip() for q in out.quotes
    ]
    return [(w, q.speaker.name) for w, q in zip(words, out.quotes, strict=True)]


def test_the_story_reads_as_expected(enricher: Enricher) -> None:
    """The reference the metamorphic variants are compared with (a broken reference proves nothing)."""
    got = _statements(enricher.enrich(Article(id="ref", text=ONE_PER_LINE)))
    speakers = {s for _, s in got}
    assert {"Marta Quillon", "Olav Brennick"} <= speakers
    assert any(w.startswith('"The contractors assured us') for w, _ in got)
    assert any(w.startswith('"If the weather holds') for w, _ in got)
    assert len(got) >= 5


@pytest.mark.parametrize("width", [60, 65, 70, 72, 76, 80])
def test_rewrapping_keeps_quotes_and_speakers(enricher: Enricher, width: int) -> None:
    reference = _statements(enricher.enrich(Article(id="ref", text=ONE_PER_LINE)))
    for variant in (blank_line_wrapped(width), indented_wrapped(width)):
        assert variant.count("\n") > len(PARAGRAPHS) + 5  # really wrapped
        assert _statements(enricher.enrich(Article(id="w", text=variant))) == reference


@pytest.mark.parametrize("layout", [ONE_PER_LINE, blank_line_wrapped(68), indented_wrapped(65)])
def test_crlf_keeps_quotes_speakers_and_offsets(enricher: Enricher, layout: str) -> None:
    reference = _statements(enricher.enrich(Article(id="lf", text=layout)))
    crlf = layout.replace("\n", "\r\n")
    out = enricher.enrich(Article(id="crlf", text=crlf))
    assert out.text == crlf
    assert _statements(out) == reference
    for q in out.quotes:  # offsets index the text as received, CRs and all
        assert crlf[q.start : q.end] == q.text
        if q.speaker.mention_start is not None and q.speaker.mention_end is not None:
            assert crlf[q.speaker.mention_start : q.speaker.mention_end].strip()
    for e in out.entities:
        assert crlf[e.start : e.end] == e.text


@pytest.mark.parametrize("layout", [ONE_PER_LINE, indented_wrapped(70)])
def test_straight_and_curly_marks_give_the_same_quotes(enricher: Enricher, layout: str) -> None:
    reference = _statements(enricher.enrich(Article(id="straight", text=layout)))
    curly = _curly(layout)
    assert "\u201c" in curly and '"' not in curly
    assert _statements(enricher.enrich(Article(id="curly", text=curly))) == reference


def test_tabs_and_nbsp_keep_quotes_and_speakers(enricher: Enricher) -> None:
    reference = _statements(enricher.enrich(Article(id="ref", text=ONE_PER_LINE)))
    variant = "\n\n".join("\t" + p.replace("the ", "the\u00a0") for p in PARAGRAPHS)
    assert _statements(enricher.enrich(Article(id="tabs", text=variant))) == reference


def test_a_name_split_over_a_line_end_stays_one_name(enricher: Enricher) -> None:
    text = (
        "The budget would cut spending on roads and raise the tax on fuel by two pence a litre, Nigel\n"
        "Lawson told the House of Commons on Tuesday, adding that the measures were needed now.\n"
        "    The opposition said the plan would hurt drivers in rural areas more than anyone else.\n"
    )
    out = enricher.enrich(Article(id="split", text=text))
    assert "Nigel Lawson" in [q.speaker.name for q in out.quotes]
    assert "Nigel Lawson" in normalize_wire(text)


# --------------------------------------------------------------------------------------------
# Line ends: wrap or paragraph break (behaviour table; `|` marks the line end under test)
# --------------------------------------------------------------------------------------------

FULL = "The committee will meet again next week to discuss the proposal and"  # 68 columns
WRAPPED_BODY = (
    "The council voted on Tuesday to close the\n"
    "old library and move its books to the new\n"
    "community centre, which opened last year in\n"
    "the former post office on the high street.\n"
)


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        # hard-wrapped lines that end mid-sentence are joined
        (WRAPPED_BODY, True),
        # a blank line is a paragraph break
        (
            WRAPPED_BODY
            + "\nThe mayor said the move would save money\nfor the town over the next ten years.",
            True,
        ),
        # one paragraph per line (lines long, ending at sentence ends): nothing joined
        (
            "The council voted on Tuesday to close the old library and move its books to the new "
            "community centre.\nThe mayor said the move would save money for the town over the next "
            "ten years at least.\n"
            "Residents were divided over the plan and some of them promised to keep on protesting it.",
            False,
        ),
        # three short sentences, one per line, are three paragraphs
        ("Rain fell.\nThe match was called off.\nFans went home.", False),
    ],
)
def test_hard_wraps_are_joined_paragraphs_kept(text: str, joined: bool) -> None:
    out = join_wrapped_lines(text)
    assert len(out) == len(text)
    body = text.split("\n\n")[0].rstrip("\n")
    assert ("\n" not in out[: len(body)]) is joined
    if "\n\n" in text:  # a blank line always stays
        assert "\n\n" in out


@pytest.mark.parametrize(
    ("text", "breaks"),
    [
        # Reuters style: a paragraph starts on an indented line; the wrapped lines are joined
        (
            "Shares of the company rose sharply in early\ntrading after it reported higher profits.\n"
            "    Analysts said the results were better than\nexpected and raised their forecasts.\n"
            "    The company will pay a dividend of ten\ncents a share in March.\n",
            3,
        ),
        # the sign-off stays on its own line
        (
            "Shares of the company rose sharply in early\ntrading after it reported higher profits,\n"
            "analysts said on Tuesday in a note.\n REUTER\n",
            2,
        ),
        # a heading on its own line is not joined to the story
        (
            "BAHIA COCOA REVIEW\nShowers continued throughout the week in\n"
            "the cocoa zone, improving prospects for the\ncoming crop, the exporters said.\n",
            2,
        ),
        # no indentation: a short line ending a sentence ends the paragraph; a full one does not
        (
            FULL + "\nthe budget for next year.\n"
            "The chairman said the plan had wide support among the members of\nthe committee.\n",
            2,
        ),
    ],
)
def test_paragraph_breaks_kept(text: str, breaks: int) -> None:
    out = join_wrapped_lines(text)
    assert len(out) == len(text)
    assert out.rstrip("\n").count("\n") == breaks - 1


def test_crlf_compaction_maps_offsets_back() -> None:
    text = "Anna said\r\nhello.\r\n\r\nEnd"
    compaction = compact_line_ends(text)
    assert compaction is not None
    assert compaction.text == "Anna said\nhello.\n\nEnd"
    for i, ch in enumerate(compaction.text):
        assert text[compaction.original(i)] == ch
    assert compaction.original_span(10, 16) == (11, 17)  # "hello."
    assert compact_line_ends("no carriage returns\n") is None


# --------------------------------------------------------------------------------------------
# Quotation marks
# --------------------------------------------------------------------------------------------


def _quoted(text: str) -> list[str]:
    return [text[q.start : q.end] for q in find_quotations(text)]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('He said "we will win" today.', ['"we will win"']),
        ("He said \u201cwe will win\u201d today.", ["\u201cwe will win\u201d"]),
        ("Er sagte \u201ewir gewinnen\u201c heute.", ["\u201ewir gewinnen\u201c"]),
        ("Powiedzia\u0142 \u201ewygramy\u201d dzi\u015b.", ["\u201ewygramy\u201d"]),
        ("Il a dit \u00ab nous gagnerons \u00bb hier.", ["\u00ab nous gagnerons \u00bb"]),
        ("Er sagte \u00bbwir gewinnen\u00ab heute.", ["\u00bbwir gewinnen\u00ab"]),
        ("Er sagte \u201awir gewinnen\u2018 heute.", ["\u201awir gewinnen\u2018"]),
        ("He said \u2018we will win\u2019 today.", ["\u2018we will win\u2019"]),
        # an apostrophe is no closing mark
        ("He said \u2018we don\u2019t lose\u2019 today.", ["\u2018we don\u2019t lose\u2019"]),
        # a quotation nested in another of a different style stays inside it
        (
            '"It was like \u201cShark Tank\u201d on TV," she said.',
            ['"It was like \u201cShark Tank\u201d on TV,"'],
        ),
        # PTB-style marks
        ("``We will win,'' he said.", ["``We will win,''"]),
        ("''We will win,'' he said.", ["''We will win,''"]),
        # a straight mark before a word opens: the unclosed one before it is dropped, not paired
        ('He said "the plan works. Then "nothing" happened.', ['"nothing"']),
    ],
)
def test_quotation_marks_pair_by_style(text: str, quoted: list[str]) -> None:
    assert _quoted(text) == quoted


def test_reopening_mark_continues_a_quotation_over_paragraphs() -> None:
    text = '"We will build it.\n\n"And we will pay for it," she said.'
    [q] = find_quotations(text)
    assert q.multi_paragraph and len(q.segments) == 2


def test_straight_marks_never_pair_across_paragraphs_into_narration() -> None:
    text = (
        'She said "the plan will work.\n\n'
        "The council met on Friday and voted to delay the project.\n\n"
        'Officials called it "a pause" rather than a cancellation.'
    )
    assert _quoted(text) == ['"a pause"']


def test_marks_read_from_the_text_as_written() -> None:
    """``find_quotations(clean, marks=original)``: roles come from the curly marks the normaliser
    turned straight."""
    original = "Er sagte \u201ewir gewinnen\u201c und \u201ewir bleiben\u201c."
    clean = normalize_wire(original)
    assert "\u201e" not in clean
    assert [original[q.start : q.end] for q in find_quotations(clean, marks=original)] == [
        "\u201ewir gewinnen\u201c",
        "\u201ewir bleiben\u201c",
    ]


def test_bench_transformations_keep_the_length() -> None:
    wrapped = wrap_lines(ONE_PER_LINE, 65)
    assert len(wrapped) == len(ONE_PER_LINE)
    assert max(len(line) for line in wrapped.split("\n")) <= 66
    reuters = indented_wrapped(65)
    assert len(join_lines(reuters)) == len(reuters)
    assert join_lines(reuters).count("\n") == len(PARAGRAPHS) - 1
