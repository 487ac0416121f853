"""Wire-copy normalisation that keeps every character offset.

``normalize_wire(text)`` returns a string of exactly ``len(text)`` characters, so an offset into the
clean text is an offset into the original: spaCy parses the clean text and every span it finds is
reported against the article as received. What changes:

* ``date YYYY-MM-DD`` headers, datelines (``MOSCOW, Aug 17 (Reuters) -``, ``WASHINGTON (AP) —``,
  ``MOSCOW, August 17. /TASS/.``), and trailing desk/slug tags (``RHM/PR``, ``Reuter``, ``REUTER``,
  ``(Reporting by ...; Editing by ...)``) become spaces.
* Photo credits ("Tijana Martin / The Canadian Press", "REUTERS/Moe Doiron", "(AP Photo/Evan
  Vucci)") become spaces: a photographer is not a person of the story.
* Editorial brackets: ``[…]``, ``[...]``, ``[sic]``, ``[laughter]`` become spaces; brackets holding words
  that are part of the sentence (``[Viktor] Bout``, ``[US] Administration``, ``[back to]``) lose the
  brackets and keep the words. Two spaces inside a name make spaCy produce a whitespace token that
  breaks the entity ("Konstantin  Yaroshenko" is tagged ORG), so the words are shifted by one
  character towards the neighbouring non-space text and the two freed characters fall on the side that
  already has a space ("home [Viktor] Bout" -> "home   Viktor Bout"). The price: offsets *inside* a
  bracketed insertion are off by one character; every offset outside brackets is exact.
* Curly quotes, primes and guillemets become ``"`` or ``'``; non-breaking and other exotic spaces
  become ``' '`` (each is one character, so the length holds).

``parse_wire_header(text)`` reads the same header parts as data (date, dateline place, agency, desk).
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from datetime import date

# One character in, one character out: the only replacements allowed by the length contract.
_CHAR_MAP = str.maketrans(
    {
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2033": '"',  # ″ double prime
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9
        "\u2039": "'",  # single left guillemet
        "\u203a": "'",  # single right guillemet
        "\u2032": "'",  # prime
        "\u00b4": "'",  # acute accent, used as an apostrophe in some feeds
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u202f": " ",  # narrow no-break space
        "\u2000": " ",
        "\u2001": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2004": " ",
        "\u2005": " ",
        "\u2006": " ",
        "\u2008": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u3000": " ",
        "\ufeff": " ",  # byte-order mark left at the start of a feed item
        "\t": " ",  # a tab inside a line is a space; one opening a line still indents it
        "\r": "\n",  # a lone carriage return (old Mac line end); CRLF is compacted before (below)
    }
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_AGENCY = r"Reuters|Reuter|AP|AFP|UPI|TASS|RIA Novosti|Interfax|Xinhua|dpa|DPA|ANSA|EFE|PTI|CP|Bloomberg"

# `date 2023-08-17` at the very top of the seed's plain-text format (leading spaces tolerated).
_DATE_HEADER = re.compile(r"\A\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})\b[ \t]*")

# A dateline opens the story (possibly after the date header): an upper-case place, an optional
# ", Region" and/or ", Mon DD", then an agency in parentheses or /TASS/ slashes, then a dash. Without
# an agency a date is required, so an all-caps first word of a sentence is never taken for a place.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,3})"
    r"(?:, (?!" + _MONTH + r"\b)(?P<region>[A-Z][a-z]+\.?(?: [A-Z][a-z]+\.?)?))?"
    r"(?:,? (?P<date>" + _MONTH + r"\.? \d{1,2})\.?)?"
    r"\s*(?:\((?P<agency>" + _AGENCY + r")\)\s*(?P<dash>[-\u2013\u2014]{1,2})"
    r"|/(?P<agency2>" + _AGENCY + r")/\.?"
    r"|(?P<dash2>[-\u2013\u2014]{1,2}))[ \t]*"
)

# Where a dateline may start: the top, or a line start within the first few hundred characters.
_LINE_START = re.compile(r"\n")
_DATELINE_WINDOW = 400

# Trailing desk/slug tags: "RHM/PR", "ak/jm", a lone "Reuter"/"REUTER", "(Reporting by ...)".
_DESK_TAG = re.compile(r"(?:\A|\s)(?P<tag>[A-Za-z]{2,5}(?:/[A-Za-z]{2,5}){1,3})\s*\Z")
_WIRE_SIGNOFF = re.compile(r"(?:\A|\s)(?P<tag>Reuters?|REUTERS?|AP|AFP|UPI|TASS)\s*\Z")
_CREDITS = re.compile(r"\((?:Reporting|Writing|Additional reporting|Editing|Compiled)\b[^()]{0,300}\)\s*\Z")

# Photo credits at a line start, often glued to the caption that follows: "Tijana Martin / The
# Canadian Press Patrick Bardos and his wife ...", "REUTERS/Moe Doiron", "(AP Photo/Evan Vucci)".
_PHOTO_AGENCY = (
    r"(?:The Canadian Press|Canadian Press|Reuters|AP|AFP|EPA|Getty Images|PA Images|Postmedia"
    r"|Bloomberg|Handout|Pool)"
)
_PHOTO_CREDIT = re.compile(
    r"(?m)^[ \t]*(?:"
    r"[A-Z][\w.'\u2019-]+(?: [A-Z][\w.'\u2019-]+){0,3} ?/ ?" + _PHOTO_AGENCY + r"(?: via Getty Images)?"
    # "REUTERS/Name": two words at most, the caption may follow on the same line
    r"|(?:REUTERS|AFP|AP|Instagram|Facebook|Twitter|LinkedIn)/[A-Z][\w.'\u2019-]+(?: [A-Z][\w.'\u2019-]+)?"
    r")\.?"
    r"|\((?:AP|AFP|Reuters|EPA|CP) Photo/[^()\n]{1,60}\)"
)

# Editorial brackets: at most 60 characters, on one line, no nested brackets.
_BRACKET = re.compile(r"\[(?P<inner>[^\[\]\n]{0,60})\]")
# Bracket contents that are not part of the sentence: ellipses and editorial notes.
_DROP_INNER = re.compile(
    r"\A\s*(?:\.{2,}|\u2026|sic|laughs?|laughter|applause|inaudible|crosstalk|unintelligible|"
    r"sic\.?|\?|!)\s*\Z",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class WireHeader:
    """The wire furniture found around a story; every field is None when absent.

    ``published`` comes from a ``date YYYY-MM-DD`` header; ``place``/``agency`` from a dateline;
    ``desk`` is the trailing desk or slug tag (``RHM/PR``, ``REUTER``).
    """

    published: date | None = None
    place: str | None = None
    agency: str | None = None
    desk: str | None = None


def _blank(chars: list[str], start: int, end: int) -> None:
    """Turn chars[start:end] into spaces, keeping line breaks (paragraph boundaries matter)."""
    for i in range(start, end):
        if chars[i] not in "\n\r":
            chars[i] = " "


def _header_end(text: str) -> tuple[int, re.Match[str] | None]:
    match = _DATE_HEADER.match(text)
    return (match.end() if match else 0), match


def _dateline(text: str, pos: int) -> re.Match[str] | None:
    """The dateline opening the story: at ``pos`` (after the date header) or at the start of one of
    the next lines within the first ``_DATELINE_WINDOW`` characters (feeds put the headline first:
    "Title.\n\nDALLAS (AP) — ..."). Only a dateline that carries an agency, or a date and a dash."""
    starts = [pos]
    starts.extend(m.end() for m in _LINE_START.finditer(text, pos, min(len(text), pos + _DATELINE_WINDOW)))
    for start in starts:
        while start < len(text) and text[start].isspace():
            start += 1
        match = _DATELINE.match(text, start)
        if match is None:
            continue
        # "WASHINGTON (AP) —", "MOSCOW, August 17. /TASS/." or, without an agency, "MOSCOW, Aug 17 -".
        if match.group("agency") or match.group("agency2"):
            return match
        if match.group("date") and match.group("dash2"):
            return match
    return None


def _trailer_spans(text: str) -> list[tuple[int, int, str]]:
    """Spans of trailing desk tags / sign-offs / credits, innermost last; (start, end, tag)."""
    spans: list[tuple[int, int, str]] = []
    end = len(text)
    for _ in range(4):  # a story ends with at most a few of these stacked up
        head = text[:end]
        match = _CREDITS.search(head) or _DESK_TAG.search(head) or _WIRE_SIGNOFF.search(head)
        if match is None:
            break
        start = match.start("tag") if "tag" in match.groupdict() else match.start()
        # Only a tag on its own line (or glued after a final sentence) is furniture; "US/Canada"
        # inside a sentence is not: require a line break or sentence end before it.
        before = head[:start].rstrip(" \t")
        if before and before[-1] not in "\n.!?\"')" and not head[:start].endswith("\n"):
            break
        spans.append((start, match.end(), match.group("tag") if "tag" in match.groupdict() else ""))
        end = start
    return spans


def _bracket_slot(text: str, start: int, end: int, inner: str) -> str:
    """What replaces text[start:end] (a bracket): the words kept, shifted so the gap joins a space."""
    words = inner.strip()
    width = end - start
    if not words or _DROP_INNER.match(inner):
        return " " * width
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isspace():
        # "home [Viktor] Bout" -> "home   Viktor Bout": the gap joins the space before.
        return words.rjust(width)
    if after.isspace() or after in ".,;:!?\"')":
        # '"[We] fight' -> '"We   fight': the gap joins the space after.
        return words.ljust(width)
    # Brackets inside a word ("govern[ment]s"): letters on both sides; keep positions.
    return " " + inner + " "


def _place_bracket(chars: list[str], text: str, start: int, end: int, inner: str) -> None:
    """Remove the brackets at text[start:end] keeping ``inner``'s words (see ``_bracket_slot``)."""
    slot = _bracket_slot(text, start, end, inner)
    chars[start:end] = list(slot)


def realign_span(original: str, start: int, end: int) -> tuple[int, int]:
    """Map a span found in ``normalize_wire(original)`` to the words it covers in ``original``.

    Offsets are equal in both texts except inside an editorial bracket, whose words the normaliser
    shifts by a character: an entity found as "US Administration" in the clean text of
    "the [US] Administration" sits over "S] Administration" in the original; its start moves back onto
    "US" (the span then reads "US] Administration": the bracket stays, the words are all there).
    Spans that touch no bracket come back unchanged (cheap: no "[" in the 62 chars before an offset).
    """
    return _realign(original, start, is_start=True), _realign(original, end, is_start=False)


def _realign(original: str, x: int, *, is_start: bool) -> int:
    a = original.rfind("[", max(0, x - 62), x + 1)
    if a < 0:
        return x
    match = _BRACKET.match(original, a)
    if match is None:
        return x
    b = match.end()
    if not ((a <= x < b) if is_start else (a < x <= b)):
        return x
    inner = match.group("inner")
    words = inner.strip()
    if not words:
        return x
    lo = max(0, a - 1)
    window = original[lo : b + 1].translate(_CHAR_MAP)  # only the neighbours decide the placement
    slot = _bracket_slot(window, a - lo, b - lo, inner)
    clean_start = a + slot.index(words[0]) if slot.strip() else a
    orig_start = a + 1 + (len(inner) - len(inner.lstrip()))
    shift = clean_start - orig_start
    return min(max(x - shift, orig_start), orig_start + len(words))


# --------------------------------------------------------------------------------------------
# Layout: hard line wraps vs paragraph breaks
# --------------------------------------------------------------------------------------------

# A hard-wrapped story has short lines: wire copy wraps at ~65-80 columns. A text whose lines are
# mostly longer than this puts a paragraph on each line, and every line end is a paragraph end.
MAX_WRAP_COLUMNS = 100
# ... and many of its lines end inside a sentence (where the wrap fell). One paragraph per line ends
# nearly every line at a sentence end; 65-column wrapping of news prose ends ~80% of lines mid-sentence.
MIN_MID_SENTENCE_SHARE = 0.3
# The fewest lines that show a wrap width (one or two short lines are just short paragraphs).
MIN_WRAPPED_LINES = 3
# ... and the narrowest wrap: lines all shorter than this are a list, captions or credits, not prose
# wrapped to a column (wire copy wraps at 60-80).
MIN_WRAP_COLUMNS = 40
_SENTENCE_END_CHARS = frozenset(".!?")
_CLOSING = frozenset("\"')]\u201d\u2019\u00bb")


def _ends_sentence(line: str) -> bool:
    """The line ends at a sentence end: `.`, `!`, `?`, also behind a closing quote or bracket."""
    end = line.rstrip()
    while end and end[-1] in _CLOSING:
        end = end[:-1]
    return bool(end) and end[-1] in _SENTENCE_END_CHARS


def _is_heading(line: str) -> bool:
    """An all-capitals line (`BAHIA COCOA REVIEW`, `REUTER`): a headline, section head or sign-off."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def join_wrapped_lines(text: str) -> str:
    """Turn the line ends of hard-wrapped paragraphs into spaces; the result has ``len(text)``
    characters, so spaCy reads "Nigel\nLawson" as the name "Nigel Lawson" at the same offsets.

    A line end stays a paragraph break when the text is not hard-wrapped (its lines are long, or they
    end at sentence ends), and at a blank line, before an indented line (wire copy indents each
    paragraph), before or after an all-capitals heading or sign-off, and - where paragraphs are not
    indented - after a short line that ends a sentence (the next word would have fitted: a paragraph's
    last line). A line that ends inside a sentence, or is full to the wrap width, continues.
    """
    if text.count("\n") < MIN_WRAPPED_LINES - 1:
        return text
    lines = text.split("\n")
    widths = [len(line.rstrip()) for line in lines if line.strip()]
    short = [w for w in widths if w <= MAX_WRAP_COLUMNS]
    if len(short) < MIN_WRAPPED_LINES or len(short) < 0.8 * len(widths):
        return text
    wrap_width = max(short)
    if wrap_width < MIN_WRAP_COLUMNS:
        return text
    # the line ends that could be wraps: between two non-blank lines, the second not indented
    candidates: list[tuple[int, str, str]] = []  # (position of the "\n", line before, line after)
    pos = 0
    for before, after in itertools.pairwise(lines):
        pos += len(before)
        if before.strip() and after.strip() and not after[0].isspace():
            candidates.append((pos, before, after))
        pos += 1
    if not candidates:
        return text
    mid_sentence = sum(1 for _, before, _ in candidates if not _ends_sentence(before))
    if mid_sentence < MIN_MID_SENTENCE_SHARE * len(candidates):
        return text
    indented = any(line[:1].isspace() and line.strip() for line in lines[1:])
    chars = list(text)
    for at, before, after in candidates:
        if _is_heading(before) or _is_heading(after):
            continue
        if not indented and _ends_sentence(before):
            next_word = len(after.split(None, 1)[0])
            if len(before.rstrip()) + 1 + next_word <= wrap_width:
                continue  # a short last line: the paragraph ends here
        chars[at] = " "
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class Compaction:
    """A text without the carriage return of each CRLF, and the way back to the original's offsets.

    Every other layout fix keeps the length; CRLF cannot (two characters of line end between two words
    would reach spaCy as a whitespace token inside "Nigel\r\nLawson"), so its CR is dropped and spans
    found in the compacted text are mapped back with ``original_span``.
    """

    text: str
    removed_at: tuple[int, ...]  # compacted offsets before which one character was removed, ascending

    def original(self, offset: int) -> int:
        """The original offset of the character at ``offset`` of the compacted text."""
        return offset + bisect.bisect_right(self.removed_at, offset)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.original(start), self.original(start)
        return self.original(start), self.original(end - 1) + 1


def compact_line_ends(text: str) -> Compaction | None:
    """Drop the CR of every CRLF (None when there is none: the usual case costs one search)."""
    if "\r\n" not in text:
        return None
    parts = text.split("\r\n")
    removed: list[int] = []
    at = 0
    for part in parts[:-1]:
        at += len(part)
        removed.append(at)  # the "\n" that follows now sits at ``at``; the CR before it is gone
        at += 1
    return Compaction("\n".join(parts), tuple(removed))


def normalize_wire(text: str) -> str:
    """Clean wire copy for parsing; the result has exactly ``len(text)`` characters.

    See the module docstring for what is cleaned. Idempotent: normalising clean text changes nothing.
    """
    clean = text.translate(_CHAR_MAP)
    # hard wraps become spaces in the output; the furniture below is found on the lines as written
    joined = join_wrapped_lines(clean)
    chars: list[str] | None = None

    def edit() -> list[str]:
        nonlocal chars
        if chars is None:
            chars = list(joined)
        return chars

    header_end, header = _header_end(clean)
    if header is not None:
        _blank(edit(), 0, header_end)
    dateline = _dateline(clean, header_end)
    if dateline is not None:
        _blank(edit(), dateline.start(), dateline.end())
    for start, end, _tag in _trailer_spans(clean):
        _blank(edit(), start, end)
    if "/" in clean:
        for match in _PHOTO_CREDIT.finditer(clean):
            _blank(edit(), match.start(), match.end())
    if "[" in clean:
        for match in _BRACKET.finditer(clean):
            _place_bracket(edit(), clean, match.start(), match.end(), match.group("inner"))
    if chars is None:
        return joined
    out = "".join(chars)
    assert len(out) == len(text)  # the hard contract; cheap to check
    return out


def parse_wire_header(text: str) -> WireHeader:
    """Read the date header, dateline and trailing desk tag of a wire story (None where absent)."""
    clean = text.translate(_CHAR_MAP)
    header_end, header = _header_end(clean)
    published: date | None = None
    if header is not None:
        try:
            published = date.fromisoformat(header.group("date"))
        except ValueError:  # "date 2023-13-45": a broken header is no header
            published = None
    place: str | None = None
    agency: str | None = None
    dateline = _dateline(clean, header_end)
    if dateline is not None:
        place = dateline.group("place").title()
        if dateline.group("region"):
            place = f"{place}, {dateline.group('region')}"
        agency = dateline.group("agency") or dateline.group("agency2")
    desk: str | None = None
    for _start, _end, tag in _trailer_spans(clean):
        if tag:
            desk = tag
            break
    return WireHeader(published=published, place=place, agency=agency, desk=desk)
