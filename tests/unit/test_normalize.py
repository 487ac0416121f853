"""Wire-copy normalisation: same length always, furniture blanked, words kept, prose untouched."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.ingest.normalize import WireHeader, normalize_wire, parse_wire_header, realign_span
from pipeline.nlp.loader import load_nlp
from pipeline.settings import PROJECT_ROOT, Settings

# The brief's seed article, read in place (never copied into the repo).
SHARED_SEED = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"

# (input, expected clean text) — every expected string has the input's length.
CASES = [
    # date header at the top of the seed format
    (' date 2023-08-17 "We agree," he said.', '                 "We agree," he said.'),
    ("date 2024-01-02\nText.", "               \nText."),
    # datelines
    ("MOSCOW, Aug 17 (Reuters) - The Kremlin said.", "                           The Kremlin said."),
    ("WASHINGTON (AP) \u2014 The president said.", "                  The president said."),
    ("NEW YORK, Aug. 17 (Reuters) - Stocks fell.", "                              Stocks fell."),
    ("MOSCOW, August 17. /TASS/. Russia said.", "                           Russia said."),
    ("SALVADOR, Feb 26 - Showers continued.", "                   Showers continued."),
    # a dateline after the headline line
    ("Title.\n\nDALLAS (AP) \u2014 Democrats met.", "Title.\n\n" + " " * 14 + "Democrats met."),
    ("Title.\n\nCAMBRIDGE, Mass., Dec. 11 (UPI) \u2014 Young", "Title.\n\n" + " " * 34 + "Young"),
    # desk tags and sign-offs at the end
    ("He said so.\n\nRHM/PR", "He said so.\n\n      "),
    ("He said so.\n REUTER\n", "He said so.\n       \n"),
    ("He said so. Reuter", "He said so.       "),
    ("He said.\n(Reporting by Jane Roe; Editing by Bo Li)", "He said.\n" + " " * 41),
    # photo credits, also when the caption follows on the same line
    (
        "x.\nLena Ortiz / The Canadian Press Omar Haddad and his wife",
        "x.\n" + " " * 32 + "Omar Haddad and his wife",
    ),
    ("x\nREUTERS/Ann Lee Ice covers the road", "x\n" + " " * 16 + "Ice covers the road"),
    ("x\nInstagram/Ann Lee\n\nShe said", "x\n" + " " * 17 + "\n\nShe said"),
    ("He spoke (AP Photo/Evan Hall) today.", "He spoke " + " " * 20 + " today."),
    # editorial brackets: words kept, the gap on the side that already has a space
    ("bring home [Viktor] Bout now", "bring home   Viktor Bout now"),
    ("the [US] Administration", "the   US Administration"),
    ("to get [them] back", "to get   them back"),
    ('"[We] fight"', '"We   fight"'),
    ("homeland, [back to] their", "homeland,   back to their"),
    ("unacceptable. [\u2026] We fight", "unacceptable.     We fight"),
    ("unacceptable. [...] We fight", "unacceptable.       We fight"),
    ("it was [sic] late", "it was       late"),
    # quotes, primes, exotic spaces: one character for one
    ("\u201cYes,\u201d she said", '"Yes," she said'),
    ("Washington\u2019s \u2018hunt\u2019", "Washington's 'hunt'"),
    ("\u00abNon\u00bb", '"Non"'),
    ("5\u2032 11\u2033", "5' 11\""),
    ("a\u00a0b\u202fc", "a b c"),
]

# Prose that must come back unchanged: no false datelines, desk tags or brackets.
UNCHANGED = [
    "x\nThe Reuters/Ipsos poll showed a lead.",  # a poll, not a photo credit
    "He said the US/Canada border was closed.",
    "Title.\n\n11:40 am \u2014 Police announce the arrest.",  # a time is not a place
    "NATO \u2014 the alliance \u2014 met today.",
    "US officials said the talks were over.",
    "NATO - the alliance - met today.",
    "He said the US/Canada border was closed.",
    "The AP reported it.",
    "The company, based in NEW YORK, said so.",
    'She said: "Good."',
    "",
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_normalize_wire_cleans(raw: str, clean: str) -> None:
    assert len(clean) == len(raw), "bad test case"
    assert normalize_wire(raw) == clean


@pytest.mark.parametrize("raw", UNCHANGED)
def test_normalize_wire_leaves_prose_alone(raw: str) -> None:
    assert normalize_wire(raw) == raw


@pytest.mark.parametrize("raw", [c[0] for c in CASES] + UNCHANGED)
def test_length_and_idempotence(raw: str) -> None:
    once = normalize_wire(raw)
    assert len(once) == len(raw)
    assert normalize_wire(once) == once


def test_offsets_outside_brackets_point_at_the_same_words() -> None:
    raw = ' date 2023-08-17 "It is [back to] them," Antonov noted. [\u2026] He said. RHM/PR'
    clean = normalize_wire(raw)
    for word in ("It is", "them,", "Antonov noted.", "He said."):
        i = clean.index(word)
        assert raw[i : i + len(word)] == word


def test_seed_article_keeps_length_and_loses_furniture() -> None:
    raw = SHARED_SEED.read_text(encoding="utf-8")
    clean = normalize_wire(raw)
    assert len(clean) == len(raw)
    assert "[" not in clean and "RHM/PR" not in clean and "date 2023" not in clean
    assert "\u2019" not in clean


@pytest.mark.parametrize(
    ("raw", "header"),
    [
        (" date 2023-08-17 Text. RHM/PR", WireHeader(published=date(2023, 8, 17), desk="RHM/PR")),
        (
            "MOSCOW, Aug 17 (Reuters) - Text.\nREUTER",
            WireHeader(place="Moscow", agency="Reuters", desk="REUTER"),
        ),
        ("WASHINGTON (AP) \u2014 Text.", WireHeader(place="Washington", agency="AP")),
        ("SEATTLE, Wash., Aug 17 (Reuters) - x", WireHeader(place="Seattle, Wash.", agency="Reuters")),
        ("date 2023-13-45 Text.", WireHeader()),  # impossible date: no header
        ("Plain prose without furniture.", WireHeader()),
    ],
)
def test_parse_wire_header(raw: str, header: WireHeader) -> None:
    assert parse_wire_header(raw) == header


def test_ner_finds_bracketed_names_after_normalisation() -> None:
    nlp = load_nlp(Settings().spacy_model)
    text = "It made it possible to bring home [Viktor] Bout and [Konstantin] Yaroshenko, he said."
    doc = nlp(normalize_wire(text))
    people = {e.text for e in doc.ents if e.label_ == "PERSON"}
    assert {"Viktor Bout", "Konstantin Yaroshenko"} <= people


@pytest.mark.parametrize(
    ("raw", "found", "original"),
    [
        ("the [US] Administration said", "US Administration", "US] Administration"),
        ("bring home [Viktor] Bout now", "Viktor Bout", "Viktor] Bout"),
        ('"[We] fight" he said', "We", "We"),
        ("to get [them] back", "them", "them"),
        ("a [b] c [sic] the [...] Viktor", "Viktor", "Viktor"),  # after brackets: unchanged
        ("no brackets here, Viktor", "Viktor", "Viktor"),
    ],
)
def test_realign_span_puts_bracketed_words_back(raw: str, found: str, original: str) -> None:
    clean = normalize_wire(raw)
    i = clean.index(found)
    start, end = realign_span(raw, i, i + len(found))
    assert raw[start:end] == original
