"""Attributed quotes from a parsed ``Doc``: direct, mixed and indirect, each with cue and speaker mention.

One pass over the text for quotation marks (paragraph-aware), one pass over the tokens for cue words,
then a few look-ups per quotation: no extra spaCy runs, nothing quadratic in the article length.

- **direct**: a quotation (``"...," X said`` / ``X said: "..."``), including quotations that run over
  several paragraphs (news style reopens each paragraph and closes only the last), and *floating*
  quotations (a quoted sentence with no cue of its own: it continues the previous speaker).
- **mixed**: reported speech whose content contains quoted fragments (``X said the plan "will fail"``).
- **indirect**: ``X said/noted/told reporters (that) ...``, ``..., X said``, ``according to X, ...``.

Degrade per item: an unclosed quotation mark drops that quotation, never the article.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, Literal

import yaml

from pipeline.nlp.tokens import TokenIndex
from pipeline.resources import config_files

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

QuoteKind = Literal["direct", "mixed", "indirect"]

CONFIG_DIR = config_files()

# Quotation marks as written: the styles of English (U+201C/U+201D, single U+2018/U+2019), German
# (U+201E/U+201C, single U+201A/U+2018, and U+00BB/U+00AB), Polish (U+201E/U+201D), French (U+00AB/U+00BB),
# Swedish (U+201D/U+201D) and plain ASCII (" `` ''). Each mark belongs to a family (a double or a
# single quotation) and may open, close, or both; which mark closes which opener is in _CLOSES.
_DOUBLE_MARKS = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb')
_SINGLE_MARKS = frozenset("\u2018\u2019\u201a")
_CLOSES = {
    '"': frozenset('"\u201d\u201c'),
    "``": frozenset(("''", '"', "\u201d")),
    "''": frozenset(("''",)),
    "\u201c": frozenset('\u201d\u201c"'),  # “…” (and “…“ where the feed has one kind of mark)
    "\u201e": frozenset('\u201c\u201d"'),  # German „…“, Polish „…”
    "\u201d": frozenset('\u201d"'),  # Swedish ”…”
    "\u00ab": frozenset("\u00bb"),  # French « »
    "\u00bb": frozenset("\u00ab\u00bb"),  # German/Danish »…«
    "\u201a": frozenset("\u2018\u2019"),  # German and Polish single low-9 opener
    "\u2018": frozenset("\u2019"),  # English single
}
# Punctuation that may stand right before an opening mark / right after a closing one.
_BEFORE_OPENING = frozenset("([{\u2014\u2013-/")
_AFTER_CLOSING = frozenset(".,;:!?)]}\u2014\u2013-/")

# A quotation shorter than this (in words) is a scare quote or a title unless a cue governs it.
MIN_ATTRIBUTED_WORDS = 2
# A floating quotation (no cue) must look like speech: a few words, or a whole sentence.
MIN_FLOATING_WORDS = 4
# How far (in tokens) a cue may sit from its quotation: `"...," the prime minister's spokesman said`.
MAX_CUE_DISTANCE = 12

_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_INHERIT_DEPS = frozenset({"advcl", "xcomp", "conj", "pcomp", "acl"})
_CONTENT_DEPS = frozenset({"ccomp"})
_CLAUSE_END = frozenset({".", "!", "?", ";"})
_RELATIVE = frozenset({"who", "that", "which", "whom"})


@dataclass(frozen=True, slots=True)
class CueLexicon:
    """The cue words and description lexicons of ``config/cues.yaml``."""

    verbs: frozenset[str]
    speech_only: frozenset[str]
    needs_that: frozenset[str]
    naming: frozenset[str]
    according_to: tuple[tuple[str, ...], ...]
    pronouns: dict[str, frozenset[str]]
    honorifics: dict[str, frozenset[str]]
    org_nouns: frozenset[str]
    document_nouns: frozenset[str]
    furniture_labels: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> CueLexicon:
        def words(key: str) -> frozenset[str]:
            return frozenset(str(w).lower() for w in data.get(key, []) or [])

        def groups(key: str) -> dict[str, frozenset[str]]:
            return {k: frozenset(str(w).lower() for w in v) for k, v in (data.get(key) or {}).items()}

        return cls(
            verbs=words("verbs"),
            speech_only=words("speech_only"),
            needs_that=words("needs_that"),
            naming=words("naming"),
            according_to=tuple(tuple(str(w).lower() for w in seq) for seq in data.get("according_to", [])),
            pronouns=groups("pronouns"),
            honorifics=groups("honorifics"),
            org_nouns=words("org_nouns"),
            document_nouns=words("document_nouns"),
            furniture_labels=words("furniture_labels"),
        )


@lru_cache(maxsize=4)
def load_cue_lexicon(path: Traversable | None = None) -> CueLexicon:
    """Read ``config/cues.yaml`` (or ``path``) once per process."""
    source = path or CONFIG_DIR / "cues.yaml"
    with source.open(encoding="utf-8") as fh:
        return CueLexicon.from_mapping(yaml.safe_load(fh) or {})


@dataclass(frozen=True, slots=True)
class Quotation:
    """A span between paired quotation marks (marks included), in characters."""

    start: int
    end: int
    paragraph: int  # index of the paragraph where it opens
    multi_paragraph: bool = False
    # One (start, end) per paragraph: a quotation over several paragraphs is reported per paragraph
    segments: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """One attributed statement found in a Doc; the speaker is a mention, resolved later."""

    start: int
    end: int
    kind: QuoteKind
    cue: str | None
    cue_token: int | None  # token index of the cue word
    speaker_token: int | None  # token index of the speaker mention's head (None: floating / unknown)
    paragraph: int
    floating: bool = False
    rule: str = ""

    def text(self, doc_text: str) -> str:
        return doc_text[self.start : self.end]


# --------------------------------------------------------------------------------------------
# Quotation marks
# --------------------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Character ranges of the non-blank lines: wire copy puts one paragraph per line."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            out.append((pos, end))
        pos = end + 1
    return out


@dataclass(frozen=True, slots=True)
class _Mark:
    """A quotation mark: where, how long, what it is, and whether it may open and/or close."""

    pos: int
    length: int
    mark: str
    family: Literal["double", "single"]
    opens: bool
    closes: bool


def _flanking(text: str, pos: int, length: int) -> tuple[bool, bool]:
    """(may open, may close) by the characters around a mark: an opening mark has a word after it and
    a space (or opening punctuation) before it; a closing mark the reverse. A mark with words or spaces
    on both sides may be either."""
    before = text[pos - 1] if pos > 0 else " "
    after = text[pos + length] if pos + length < len(text) else " "
    left = not after.isspace() and (before.isspace() or before in _BEFORE_OPENING)
    right = not before.isspace() and (after.isspace() or after in _AFTER_CLOSING)
    if left == right:
        return True, True
    return left, right


def _marks(text: str, start: int, end: int) -> list[_Mark]:
    """The quotation marks in text[start:end] (``text`` as written: curly marks keep their role).

    Straight marks take their role from the characters around them (``"`` before a word opens, after
    one closes); U+2019 inside a word or after one is an apostrophe, and straight ``'`` never pairs (too
    often an apostrophe).
    """
    out: list[_Mark] = []
    i = start
    while i < end:
        ch = text[i]
        pair = text[i : i + 2]
        if pair in ("``", "''"):
            opens, closes = _flanking(text, i, 2) if pair == "''" else (True, False)
            out.append(_Mark(i, 2, pair, "double", opens, closes))
            i += 2
            continue
        if ch in _DOUBLE_MARKS:
            opens, closes = _flanking(text, i, 1)
            if ch == "\u201e" or (ch == "\u00ab" and opens):
                opens, closes = True, False  # „ always opens; « opens unless it closes »...« (German)
            out.append(_Mark(i, 1, ch, "double", opens, closes))
        elif ch in _SINGLE_MARKS:
            opens, closes = _flanking(text, i, 1)
            after = text[i + 1] if i + 1 < len(text) else " "
            if ch == "\u2019" and (after.isalnum() or not closes):
                pass  # an apostrophe: don't, '90s
            else:
                out.append(_Mark(i, 1, ch, "single", opens and ch != "\u2019", closes))
        i += 1
    return out


def _closes(opener: _Mark, mark: _Mark) -> bool:
    return mark.closes and mark.family == opener.family and mark.mark in _CLOSES.get(opener.mark, ())


def find_quotations(text: str, marks: str | None = None) -> list[Quotation]:
    """Pair quotation marks paragraph by paragraph.

    ``marks`` is the text as written when ``text`` is its normalised copy (same length: curly marks
    there are straight); the paragraphs are ``text``'s. A paragraph that ends inside a quotation
    continues it when the next paragraph reopens with a mark of the same kind (news style); otherwise
    the unclosed quotation is dropped, alone, and never pairs with a mark of a later paragraph. Inside
    a double quotation single marks are nested quotes, and the reverse.
    """
    written = marks if marks is not None and len(marks) == len(text) else text
    paragraphs = _paragraphs(text)
    found: list[Quotation] = []
    # a quotation still open at a paragraph's end: (opening mark, paragraph, finished segments)
    carried: tuple[_Mark, int, list[tuple[int, int]]] | None = None
    for p_index, (p_start, p_end) in enumerate(paragraphs):
        line = text[p_start:p_end]
        found_marks = _marks(written, p_start, p_end)
        opener: _Mark | None = None
        nested: list[_Mark] = []  # quotations open inside the open one
        open_para = p_index
        segments: list[tuple[int, int]] = []
        first_non_space = p_start + (len(line) - len(line.lstrip()))
        seg_start = 0
        if carried is not None:
            first = found_marks[0] if found_marks else None
            if first is not None and first.pos == first_non_space and first.family == carried[0].family:
                opener, open_para, segments = carried
                seg_start = first.pos
                found_marks = found_marks[1:]
            carried = None
        for mark in found_marks:
            if opener is None:
                if mark.opens:
                    opener, open_para, segments, seg_start = mark, p_index, [], mark.pos
                    nested = []
                # a stray closer: ignore it
            elif nested and _closes(nested[-1], mark):
                nested.pop()
            elif mark.opens and not mark.closes and mark.family == opener.family and mark.mark != opener.mark:
                nested.append(mark)  # `"... an episode of “Shark Tank.” But ..."`: another style nests
            elif _closes(opener, mark):
                end = mark.pos + mark.length
                segments.append((seg_start, end))
                found.append(Quotation(opener.pos, end, open_para, len(segments) > 1, tuple(segments)))
                opener = None
            elif mark.opens and (mark.family == opener.family or mark.family == "double"):
                # a second opener while open: the earlier quotation was never closed; drop it (a
                # double mark inside a single quotation: that one was an apostrophe or a stray mark)
                opener, open_para, segments, seg_start = mark, p_index, [], mark.pos
                nested = []
            # else: a quotation nested in the open one (single marks in a double quotation), or a stray
        if opener is not None:
            end = p_start + len(line.rstrip())
            carried = (opener, open_para, [*segments, (seg_start, end)])
    return found


# --------------------------------------------------------------------------------------------
# Cues
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Attribution:
    cue: int  # token index
    speaker: int | None
    content: tuple[int, int] | None  # token range [start, end)
    rule: str
    span: tuple[int, int] = (0, 0)  # token range of the attribution itself (speaker + cue)


def _subject(tok: Token, lex: CueLexicon, depth: int = 0) -> int | None:
    """The speaker of a cue verb: its subject, or its governor's for `..., adding that`."""
    for child in tok.children:
        if child.dep_ in _SUBJECT_DEPS and child.lower_ != "there":
            if child.lower_ in _RELATIVE and tok.dep_ == "relcl":
                return int(tok.head.i)
            return int(child.i)
    if depth < 2 and tok.dep_ in _INHERIT_DEPS and tok.head.i != tok.i:
        head = tok.head
        if depth == 0 and tok.tag_ == "VBG" and tok.dep_ == "advcl" and head.dep_ == "ccomp":
            # `X argued that A, noting B`: the parser hangs the participle on the reported clause;
            # the one noting is the one arguing
            cue = head.head
            if cue.lemma_.lower() in lex.verbs:
                return _subject(cue, lex, depth + 1)
        if head.pos_ in ("VERB", "AUX"):
            return _subject(head, lex, depth + 1)
    if tok.dep_ == "relcl" and tok.head.pos_ in ("NOUN", "PROPN"):
        return int(tok.head.i)
    return None


def _edges(tok: Token) -> tuple[int, int]:
    return int(tok.left_edge.i), int(tok.right_edge.i) + 1


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation and conjunctions at the ends of a content range."""
    while start < end and (doc[start].is_punct or doc[start].is_space) and not doc[start].is_quote:
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space) and not doc[end - 1].is_quote:
        end -= 1
    return start, end


def _attribution_range(doc: Doc, cue: Token, speaker: int | None) -> tuple[int, int]:
    """Token range of the attribution itself: speaker phrase, cue verb and its small dependents."""
    lo = hi = cue.i
    if speaker is not None and doc[speaker].head.i == cue.i:
        s_lo, s_hi = _edges(doc[speaker])
        lo, hi = min(lo, s_lo), max(hi, s_hi - 1)
    for child in cue.children:
        if child.dep_ in ("aux", "auxpass", "neg", "prt", "dative", "npadvmod", "advmod", "dobj", "prep"):
            c_lo, c_hi = _edges(child)
            if c_hi - 1 < cue.i and c_lo >= lo - 3:
                lo = min(lo, c_lo)
            elif c_lo > cue.i and c_lo <= hi + 1:
                hi = max(hi, c_hi - 1)
    return lo, hi + 1


class _Bounds:
    """Sentence bounds clipped to the paragraph: spaCy joins headings and captions to the next line.

    The sentence starts are read once per Doc (``Token.sent`` walks the sentence on every call).
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.breaks = [t.i for t in doc if t.is_space and "\n" in t.text]
        self.sent_starts = [sent.start for sent in doc.sents] if len(doc) else []

    def sentence(self, i: int) -> tuple[int, int]:
        """Token range of the parser's sentence holding token ``i``."""
        k = bisect.bisect_right(self.sent_starts, i) - 1
        end = self.sent_starts[k + 1] if k + 1 < len(self.sent_starts) else len(self.doc)
        return self.sent_starts[k], end

    def of(self, tok: Token) -> tuple[int, int]:
        sent_start, sent_end = self.sentence(tok.i)
        k = bisect.bisect_right(self.breaks, tok.i)
        lo = self.breaks[k - 1] + 1 if k > 0 else 0
        hi = self.breaks[k] if k < len(self.breaks) else len(self.doc)
        end = sent_end
        # `he lost 16 lbs. since ...`: an abbreviation's period is no sentence end when lower case follows
        doc = self.doc
        while end < hi and doc[end].is_lower and doc[end - 1].text.endswith(".") and end - sent_end < 80:
            end = self.sentence(end)[1]
        return max(lo, sent_start), min(hi, end)


def _cue_attribution(doc: Doc, tok: Token, lex: CueLexicon, bounds: _Bounds) -> _Attribution | None:
    att = _cue_content(doc, tok, lex, bounds)
    if att is not None:
        lo, hi = _attribution_range(doc, tok, att.speaker)
        if att.speaker is not None:
            lo, hi = min(lo, att.speaker), max(hi, att.speaker + 1)
        att.span = (lo, hi)
    return att


def _cue_content(doc: Doc, tok: Token, lex: CueLexicon, bounds: _Bounds) -> _Attribution | None:
    if any(c.dep_ == "neg" for c in tok.children):
        return None  # "did not say" reports no statement
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children) or (
        tok.dep_ == "conj"
        and any(c.dep_ == "auxpass" for c in tok.head.children)
        and not any(c.dep_ == "nsubj" for c in tok.children)
    ):
        return None  # "he was told ...", "having been told": the subject is the listener
    speaker = _subject(tok, lex)
    prev_cue = doc[tok.i - 2] if tok.i >= 2 and doc[tok.i - 1].text == "," else None
    if tok.tag_ == "VBG" and prev_cue is not None and prev_cue.lemma_.lower() in lex.verbs:
        # `"...," Kim confirmed, adding that ...`: the one adding is the one who just spoke
        previous = _subject(prev_cue, lex)
        speaker = previous if previous is not None else speaker
    s_lo, s_hi = bounds.of(tok)
    if speaker is not None and not s_lo <= speaker < s_hi:
        speaker = None
    if speaker is None:
        speaker = _nearby_subject(doc, tok, s_lo, s_hi)
    comp = next((c for c in tok.children if c.dep_ in _CONTENT_DEPS), None) or _statement_clause(tok)
    lemma = tok.lemma_.lower()
    if lemma in lex.needs_that and (
        comp is None or not any(c.dep_ == "mark" and c.lower_ == "that" for c in comp.children)
    ):
        return _Attribution(tok.i, speaker, None, "weak")  # usable next to a quotation only
    if comp is not None:
        c_lo, c_hi = _edges(comp)
        c_lo, c_hi = max(c_lo, s_lo), min(c_hi, s_hi)
        if c_hi <= c_lo:
            comp = None  # the complement lay across a paragraph break (a heading merged in): ignore it
    if comp is not None:
        if c_lo > tok.i:  # `X said (that) ...`: include the complementiser if it precedes
            sent_end = bounds.sentence(tok.i)[1]
            if c_hi >= sent_end - 1 and s_hi > sent_end:
                c_hi = s_hi  # the parser's sentence ended at an abbreviation ("16 lbs. since ...")
            # `X said (that) A, because B`: the parser hangs the reason on the cue; it is part of the claim
            for child in tok.rights:
                if child.dep_ == "advcl" and child.i >= c_hi and int(child.right_edge.i) < s_hi:
                    c_hi = max(c_hi, int(child.right_edge.i) + 1)
            return _Attribution(tok.i, speaker, _trim(doc, c_lo, c_hi), "ccomp-right")
        a_lo, a_hi = _attribution_range(doc, tok, speaker)
        if c_hi <= a_lo:  # `..., X said`
            left = _trim(doc, s_lo, a_lo)
            if _words(doc, *left) >= 3 or s_hi - a_hi <= 2 or speaker is None or speaker > tok.i:
                return _Attribution(tok.i, speaker, left, "ccomp-left")
            # `OTTAWA — X says Y`: a dateline parsed as the complement; the statement follows the cue
            return _Attribution(tok.i, speaker, _trim(doc, a_hi, s_hi), "right")
        return _Attribution(tok.i, speaker, _trim(doc, s_lo, s_hi), "ccomp-around")
    obj = next((c for c in tok.children if c.dep_ == "dobj" and c.i > tok.i), None)
    if (
        obj is not None
        and obj.pos_ == "PROPN"
        and tok.i - s_lo > 3
        and doc[tok.i - 1].text == ","
        and _trim(doc, tok.i + 1, s_hi)[1] == int(obj.right_edge.i) + 1
    ):
        # `..., argued Lind.`: an inverted attribution parsed with the speaker as the object
        return _Attribution(tok.i, int(obj.i), _trim(doc, s_lo, tok.i - 1), "tail")
    if any(c.dep_ in ("dobj", "attr", "acomp") and c.i > tok.i for c in tok.children):
        return _Attribution(tok.i, speaker, None, "object")  # "added a goal": not speech
    a_lo, a_hi = _attribution_range(doc, tok, speaker)
    a_lo, a_hi = max(a_lo, s_lo), min(a_hi, s_hi)
    before = a_lo - s_lo
    after = s_hi - a_hi
    if before > 2 and after > 2 and (tok.dep_ == "parataxis" or doc[a_lo - 1].text == ","):
        # `A, X said, B`: the statement is the whole sentence around the attribution
        return _Attribution(tok.i, speaker, _trim(doc, s_lo, s_hi), "parenthetical")
    if before > 2 and after <= 2 and doc[a_lo - 1].text in (",", '"', "\u201d", "''"):
        return _Attribution(tok.i, speaker, _trim(doc, s_lo, a_lo), "tail")
    if after > 2 and a_hi < len(doc) and doc[a_hi].text in (":", ","):
        return _Attribution(tok.i, speaker, _trim(doc, a_hi + 1, s_hi), "colon")
    if after > 2 and before <= 3 and speaker is not None and speaker < tok.i:
        # `X said the plan works` parsed without a clausal complement
        return _Attribution(tok.i, speaker, _trim(doc, a_hi, s_hi), "right")
    return _Attribution(tok.i, speaker, None, "bare")


def _statement_clause(tok: Token) -> Token | None:
    """`said in a statement that ...`: the parser hangs the that-clause on the noun, not the verb."""
    for prep in tok.children:
        if prep.dep_ == "prep" and prep.i > tok.i:
            for obj in prep.children:
                if obj.dep_ == "pobj":
                    for clause in obj.children:
                        first = clause.left_edge
                        # `that` as a complementiser, not a relative pronoun ("a statement that was read")
                        if (
                            clause.dep_ in ("acl", "relcl", "ccomp")
                            and first.lower_ == "that"
                            and first.dep_ not in ("nsubj", "nsubjpass", "dobj")
                        ):
                            return clause
    return None


def _nearby_subject(doc: Doc, tok: Token, lo: int, hi: int) -> int | None:
    """When the parse gives no subject: a name or pronoun right before (`DeBoer said`) or after the cue."""
    if (
        tok.i - 1 >= lo
        and doc[tok.i - 1].pos_ in ("PROPN", "PRON")
        and doc[tok.i - 1].lower_ not in _RELATIVE
    ):
        return int(tok.i - 1)
    if tok.i + 1 < hi and doc[tok.i + 1].pos_ in ("PROPN", "PRON") and doc[tok.i + 1].lower_ != "it":
        j = tok.i + 1
        while j + 1 < hi and doc[j + 1].pos_ == "PROPN":
            j += 1
        return j
    return None


def _according_to(doc: Doc, tok: Token, bounds: _Bounds, lex: CueLexicon) -> _Attribution | None:
    """`according to X, ...` / `..., according to X`: X is the source, the rest of the sentence says."""
    seq = next((q for q in lex.according_to if len(q) == 2 and q[0] == tok.lower_), None)
    if seq is None or tok.i + 1 >= len(doc) or doc[tok.i + 1].lower_ != seq[1]:
        return None
    to = doc[tok.i + 1]
    source = next((c for c in to.children if c.dep_ == "pobj"), None)
    if source is None:
        return None
    s_lo, s_hi = bounds.of(tok)
    p_lo = tok.i
    p_hi = min(s_hi, max(int(to.right_edge.i) + 1, int(source.right_edge.i) + 1))
    if p_lo - s_lo <= 1:
        content = _trim(doc, p_hi, s_hi)
    elif s_hi - p_hi <= 2:
        content = _trim(doc, s_lo, p_lo)
    else:
        content = _trim(doc, s_lo, s_hi)
    return _Attribution(tok.i, int(source.i), content, "according-to", (p_lo, p_hi))


# How far a naming verb's quotation may run (tokens): `called the plan "..."`.
MAX_NAMING_QUOTE_TOKENS = 40


def _naming(doc: Doc, tok: Token, lex: CueLexicon, bounds: _Bounds) -> _Attribution | None:
    """`X called the plan "a disaster"`: the object and the quoted words X put on it.

    Only with a quotation right after the object: "called a meeting" names nothing.
    """
    obj = next((c for c in tok.children if c.dep_ == "dobj"), None)
    if obj is None or any(c.dep_ == "neg" for c in tok.children):
        return None
    _, s_hi = bounds.of(tok)
    # the quotation opens right after the object's head or its modifiers (the parser may hang the
    # quoted words on the object as an apposition)
    end = min(s_hi, int(obj.right_edge.i) + 3)
    k = next((j for j in range(obj.i + 1, end) if doc[j].is_quote), None)
    if k is None:
        return None
    close = next((j for j in range(k + 1, min(s_hi, k + MAX_NAMING_QUOTE_TOKENS)) if doc[j].is_quote), None)
    if close is None:
        return None
    speaker = _subject(tok, lex)
    return _Attribution(tok.i, speaker, (int(obj.left_edge.i), close + 1), "naming", (tok.i, tok.i + 1))


def _find_cues(doc: Doc, lex: CueLexicon) -> dict[int, _Attribution]:
    found: dict[int, _Attribution] = {}
    bounds = _Bounds(doc)
    according_first = {seq[0] for seq in lex.according_to if seq}
    for tok in doc:
        lemma = tok.lemma_.lower()
        if tok.lower_ in according_first:
            att = _according_to(doc, tok, bounds, lex)
            if att is not None:
                found[tok.i] = att
            continue
        if lemma in lex.naming and tok.pos_ == "VERB":
            att = _naming(doc, tok, lex, bounds)
            if att is not None:
                found[tok.i] = att
            continue
        if (lemma in lex.verbs and tok.pos_ in ("VERB", "AUX") and tok.tag_ != "VBN") or (
            lemma in lex.verbs and tok.tag_ == "VBN" and any(c.dep_ == "aux" for c in tok.children)
        ):
            att = _cue_attribution(doc, tok, lex, bounds)
            if att is not None:
                found[tok.i] = att
    return found


# --------------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------------


def _words(doc: Doc, lo: int, hi: int) -> int:
    return sum(1 for t in doc[lo:hi] if not t.is_punct and not t.is_space)


# Designed limits on what one article can yield, so output and time grow linearly with its length
# whatever the text is (issue 8: 80 KB of chained "X said" clauses gave 3,999 overlapping quotes).
# Real copy stays far below both: ggt-dev and polnear-dev give at most 67 statements per article and
# no character inside more than 2 of them.
# - A statement, one reported inside it ("X said Y told him B") and one more level: a character
#   inside more statements than this is hostile text, and each extra level would copy it again.
MAX_QUOTE_DEPTH = 3
# - A long transcript gives a few hundred statements; a feature of 200,000 characters at the densest
#   real rate (one per ~200 characters) about a thousand.
MAX_QUOTES_PER_ARTICLE = 1000


@dataclass(frozen=True, slots=True)
class QuoteExtraction:
    """The statements of a Doc, and how many more were found than the limits let through."""

    matches: list[QuoteMatch]
    capped: int = 0


def extract_quotes(
    doc: Doc,
    lex: CueLexicon | None = None,
    *,
    text: str | None = None,
    quotations: list[Quotation] | None = None,
    tokens: TokenIndex | None = None,
) -> list[QuoteMatch]:
    """All attributed statements in ``doc`` (``extract_statements`` without the count of capped ones)."""
    return extract_statements(doc, lex, text=text, quotations=quotations, tokens=tokens).matches


def extract_statements(
    doc: Doc,
    lex: CueLexicon | None = None,
    *,
    text: str | None = None,
    quotations: list[Quotation] | None = None,
    tokens: TokenIndex | None = None,
) -> QuoteExtraction:
    """All attributed statements in ``doc``, in the order they end, with speaker mentions (not yet
    resolved), within ``MAX_QUOTE_DEPTH`` and ``MAX_QUOTES_PER_ARTICLE``.

    ``text`` (``doc.text``), ``quotations`` (``find_quotations(text)``) and the document's ``tokens``
    index may be passed when the caller already has them. The passes of ``_PASSES`` run in order over
    one shared ``_Extraction``.
    """
    lex = lex or load_cue_lexicon()
    text = text if text is not None else doc.text
    quotations = quotations if quotations is not None else find_quotations(text)
    ctx = _Extraction.start(doc, lex, text, quotations, tokens if tokens is not None else TokenIndex(doc))
    for extraction_pass in _PASSES:
        extraction_pass(ctx)
    # in the order statements end: a statement nested in another comes before the one containing it
    ctx.results.sort(key=lambda m: (m.end, -m.start))
    kept, capped = cap_quotes(ctx.results)
    return QuoteExtraction(kept, capped)


def cap_quotes(
    matches: list[QuoteMatch], max_depth: int = MAX_QUOTE_DEPTH, max_count: int = MAX_QUOTES_PER_ARTICLE
) -> tuple[list[QuoteMatch], int]:
    """Keep statements (earliest first, outer before inner) while no character lies in more than
    ``max_depth`` of them and there are at most ``max_count``; returns the kept ones in their order and
    how many were dropped. Linear after a sort: taken by start, the kept statements still open at a
    statement's start are the deepest point of its span."""
    order = sorted(range(len(matches)), key=lambda i: (matches[i].start, -matches[i].end))
    open_ends: list[int] = []  # heap of the ends of kept statements that may still be open
    keep = [False] * len(matches)
    kept = 0
    for i in order:
        m = matches[i]
        while open_ends and open_ends[0] <= m.start:
            heapq.heappop(open_ends)
        if len(open_ends) >= max_depth or kept >= max_count:
            continue
        keep[i] = True
        kept += 1
        heapq.heappush(open_ends, m.end)
    return [m for m, k in zip(matches, keep, strict=True) if k], len(matches) - kept


class _Spans:
    """Character spans taken by statements so far, found by overlap (sorted by start; a query looks
    back no further than the longest span, so it costs what overlaps, not every span taken)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.spans: list[tuple[int, int]] = []
        self.longest = 0

    def add(self, start: int, end: int) -> None:
        k = bisect.bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.spans.insert(k, (start, end))
        self.longest = max(self.longest, end - start)

    def overlapping(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        for j in range(bisect.bisect_left(self.starts, end) - 1, -1, -1):
            s, e = self.spans[j]
            if s + self.longest <= start:
                return  # this span and every earlier one end before ``start``
            if e > start:
                yield s, e


@dataclass(slots=True)
class _Extraction:
    """What the passes share for one Doc: its paragraphs, quotations, cues, and the statements so far."""

    doc: Doc
    lex: CueLexicon
    text: str
    index: TokenIndex
    paragraphs: list[tuple[int, int]]
    p_starts: list[int]
    quotations: list[Quotation]
    q_tokens: list[tuple[int, int]]
    q_starts: list[int]
    q_ends: list[int]
    cues: dict[int, _Attribution]
    cue_positions: list[int]
    used_cues: set[int] = field(default_factory=set)
    results: list[QuoteMatch] = field(default_factory=list)
    taken: _Spans = field(default_factory=_Spans)
    # reported statements (not `according to`): another statement may nest inside them
    reported: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def start(
        cls, doc: Doc, lex: CueLexicon, text: str, quotations: list[Quotation], index: TokenIndex
    ) -> _Extraction:
        paragraphs = _paragraphs(text)
        q_tokens = [(index.at_or_after(q.start), index.before(q.end)) for q in quotations]
        inside: set[int] = set()  # tokens inside a (speech-length) quotation: cues there are quoted speech
        for (lo, hi), q in zip(q_tokens, quotations, strict=True):
            if _words(doc, lo, hi) >= MIN_FLOATING_WORDS or q.multi_paragraph:
                inside.update(range(lo, hi))
        cues = {i: a for i, a in _find_cues(doc, lex).items() if i not in inside}
        return cls(
            doc,
            lex,
            text,
            index,
            paragraphs,
            [p[0] for p in paragraphs],
            quotations,
            q_tokens,
            [q.start for q in quotations],
            [q.end for q in quotations],
            cues,
            sorted(cues),
        )

    def para_of(self, char: int) -> int:
        return max(0, bisect.bisect_right(self.p_starts, char) - 1)

    def quotations_within(self, start: int, end: int) -> range:
        """Indices of the quotations overlapping text[start:end] (quotations are disjoint, in order)."""
        return range(bisect.bisect_right(self.q_ends, start), bisect.bisect_left(self.q_starts, end))


def _quoted_passages(ctx: _Extraction) -> None:
    """Pass 1: quotations and the cue next to them (direct, or mixed with words before the quotation)."""
    doc, cues, quotations, paragraphs, text = ctx.doc, ctx.cues, ctx.quotations, ctx.paragraphs, ctx.text
    for qi, (q, (lo, hi)) in enumerate(zip(quotations, ctx.q_tokens, strict=True)):
        n_words = _words(doc, lo, hi)
        if n_words < MIN_ATTRIBUTED_WORDS:
            continue
        p_end = paragraphs[ctx.para_of(q.end - 1)][1] if paragraphs else len(text)
        next_q = quotations[qi + 1].start if qi + 1 < len(quotations) else len(text)
        limit_char = min(p_end, next_q)
        att = _cue_after(doc, cues, ctx.cue_positions, hi, limit_char, ctx.index)
        if att is not None and att.rule == "ccomp-right" and lo > 0 and doc[lo - 1].pos_ == "ADP":
            att = None  # `On "Face the Nation," Ryan said the ...`: a title; the cue's statement follows
        rule = "after"
        if att is None:
            p_start = paragraphs[ctx.para_of(q.start)][0] if paragraphs else 0
            prev_q = quotations[qi - 1].end if qi > 0 else 0
            att = _cue_before(doc, cues, ctx.cue_positions, lo, max(p_start, prev_q), ctx.index)
            rule = "before"
        segments = q.segments or ((q.start, q.end),)
        if att is None:
            for s_start, s_end in segments:
                ctx.results.append(
                    QuoteMatch(
                        s_start, s_end, "direct", None, None, None, ctx.para_of(s_start), True, "floating"
                    )
                )
            continue
        kind: QuoteKind = "direct"
        start = q.start
        # `X said that "..."`: reported speech wrapped around a quotation is mixed
        if rule == "before" and lo > 0 and doc[lo - 1].lower_ == "that":
            kind, start = "mixed", doc[lo - 1].idx
        elif rule == "after" and len(segments) == 1:
            # `Berlin "stands by its allies," the ministry said`: words before the quotation in its
            # clause make the statement mixed, spanning from the clause's start
            lead = _clause_start(doc, lo)
            if any(i in cues for i in range(lead, lo)):
                continue  # `X said he was "..."`: reported speech with its own cue (pass 2)
            if lead < lo and _words(doc, lead, lo) >= 1:
                kind, start = "mixed", doc[lead].idx
        ctx.used_cues.add(att.cue)
        for n, (s_start, s_end) in enumerate(segments):
            ctx.results.append(
                QuoteMatch(
                    start if n == 0 else s_start,
                    s_end,
                    kind,
                    doc[att.cue].text,
                    att.cue,
                    att.speaker,
                    ctx.para_of(s_start),
                    False,
                    rule,
                )
            )
        ctx.taken.add(start, q.end)


def _reported_speech(ctx: _Extraction) -> None:
    """Pass 2: reported speech (indirect, or mixed when it carries quoted fragments).

    A statement attributed inside another reported statement (`X said A, noting B`, `X said Y told him
    B`) is reported too, and the outer span keeps it (evaluation data differ on where the outer statement
    ends). The `according to` sentence is too coarse a span to nest in.
    """
    doc, lex, quotations = ctx.doc, ctx.lex, ctx.quotations
    for pos in ctx.cue_positions:
        att = ctx.cues[pos]
        if pos in ctx.used_cues or att.content is None or att.speaker is None:
            continue
        c_lo, c_hi = att.content
        if _words(doc, c_lo, c_hi) < 3:
            continue
        lemma = doc[pos].lemma_.lower()
        start, end = doc[c_lo].idx, doc[c_hi - 1].idx + len(doc[c_hi - 1])
        kind: QuoteKind = "indirect"
        if c_hi + 1 < len(doc) and doc[c_hi].text == ":" and doc[c_hi + 1].is_quote:
            # `X said the plan works: "..."`: the quotation after the colon is the rest of the statement
            k = bisect.bisect_left(ctx.q_starts, doc[c_hi + 1].idx)
            if k < len(quotations) and quotations[k].start == doc[c_hi + 1].idx:
                end = max(end, quotations[k].end)
        within = ctx.quotations_within(start, end)
        if within:
            kind = "mixed"
            start, end = min(start, quotations[within[0]].start), max(end, quotations[within[-1]].end)
        if lemma in lex.speech_only:
            continue  # "believe", "went on": a cue only next to a quotation
        cue_char = doc[pos].idx
        if any(
            (min(e, end) - max(s, start)) > 0.5 * (end - start)
            # `X said A, noting B` / `X said Y told him B`: an attribution inside a reported statement
            # reports a statement of its own
            and not (
                (s, e) in ctx.reported
                and s <= start
                and end <= e
                and s <= cue_char < e
                and (s, e) != (start, end)
            )
            for s, e in ctx.taken.overlapping(start, end)
        ):
            continue  # a quotation already attributed covers it
        ctx.results.append(
            QuoteMatch(start, end, kind, doc[pos].text, pos, att.speaker, ctx.para_of(start), False, att.rule)
        )
        ctx.taken.add(start, end)
        if att.rule != "according-to":
            ctx.reported.add((start, end))


def _speaker_labels(ctx: _Extraction) -> None:
    """Pass 3: speaker labels, `Pence: ...` (headlines, transcripts) at a paragraph's start."""
    doc, quotations = ctx.doc, ctx.quotations
    for p_index, (p_start, p_end) in enumerate(ctx.paragraphs):
        label = _speaker_label(doc, ctx.index.at_or_after(p_start), ctx.index.before(p_end))
        if label is None:
            continue
        head, c_lo, c_hi = label
        start, end = doc[c_lo].idx, doc[c_hi - 1].idx + len(doc[c_hi - 1])
        if any(True for _ in ctx.taken.overlapping(start, end)):
            continue
        label_kind: QuoteKind = "indirect"
        for qi in ctx.quotations_within(start, end):
            q = quotations[qi]
            label_kind = "direct" if q.start <= start + 1 and q.end >= end - 1 else "mixed"
        ctx.results.append(QuoteMatch(start, end, label_kind, None, None, head, p_index, False, "label"))
        ctx.taken.add(start, end)


def _drop_furniture(ctx: _Extraction) -> None:
    """Pass 5: nothing in a paragraph that opens with a link label (`READ MORE: X says ...`) is a
    statement of this story."""
    furniture = {
        i
        for i, (p_start, p_end) in enumerate(ctx.paragraphs)
        if _is_furniture(ctx.text[p_start:p_end], ctx.lex)
    }
    if furniture:
        ctx.results = [m for m in ctx.results if ctx.para_of(m.start) not in furniture]


def _is_furniture(paragraph: str, lex: CueLexicon) -> bool:
    """`READ MORE: X says ...`: a paragraph opening with a link label is a headline elsewhere."""
    label, colon, _ = paragraph.strip().partition(":")
    return bool(colon) and label.lower() in lex.furniture_labels


# How far back a quotation's clause may start (tokens): bounded so the walk stays cheap.
MAX_LEAD_TOKENS = 60


def _clause_start(doc: Doc, lo: int) -> int:
    """First token of the clause a quotation starting at ``lo`` sits in (after a sentence end, a closed
    quotation or a paragraph break)."""
    i = lo
    floor = max(0, lo - MAX_LEAD_TOKENS)
    while i > floor:
        prev = doc[i - 1]
        if prev.text in _CLAUSE_END or prev.is_quote or "\n" in prev.text:
            break
        i -= 1
    return i if i > floor or floor == 0 else lo


# A speaker label is a short name: "Pence:", "Sen. Elizabeth Warren:".
MAX_LABEL_TOKENS = 4


def _speaker_label(doc: Doc, lo: int, hi: int) -> tuple[int, int, int] | None:
    """`Name: statement` at a paragraph's start -> (name head, content start, content end), or None.

    Only a person's or an organisation's name counts ("READ MORE:", "WATCH:", "Poll:" are furniture).
    """
    while lo < hi and (doc[lo].is_space or doc[lo].is_quote):
        lo += 1
    colon = next((i for i in range(lo, min(hi, lo + MAX_LABEL_TOKENS + 1)) if doc[i].text == ":"), None)
    if colon is None or colon == lo:
        return None
    if doc[colon - 1].ent_type_ not in ("PERSON", "ORG") or any(t.tag_ == "POS" for t in doc[lo:colon]):
        return None  # "ANALYST'S VIEWPOINT:" is a heading
    c_lo, c_hi = _trim(doc, colon + 1, hi)
    if _words(doc, c_lo, c_hi) < 3:
        return None
    return colon - 1, c_lo, c_hi


def _cue_after(
    doc: Doc,
    cues: dict[int, _Attribution],
    positions: list[int],
    q_hi: int,
    limit_char: int,
    index: TokenIndex,
) -> _Attribution | None:
    """A cue right after a quotation: `"...," X said` / `"...," said X, the minister.`"""
    limit = min(index.before(limit_char), q_hi + MAX_CUE_DISTANCE)
    k = bisect.bisect_left(positions, q_hi)
    while k < len(positions) and positions[k] < limit:
        att = cues[positions[k]]
        # the attribution must follow the quotation directly: only punctuation/space in between
        gap = doc[q_hi : att.span[0]]
        if all(t.is_punct or t.is_space for t in gap) and not any(t.text in _CLAUSE_END for t in gap):
            return att
        return None
    return None


def _cue_before(
    doc: Doc,
    cues: dict[int, _Attribution],
    positions: list[int],
    q_lo: int,
    floor_char: int,
    index: TokenIndex,
) -> _Attribution | None:
    """A cue right before a quotation: `X said: "..."` / `X added, "..."` / `X said that "..."`."""
    if q_lo == 0:
        return None
    prev = doc[q_lo - 1]
    if prev.text not in (":", ",", "that") and not (prev.pos_ in ("VERB", "AUX") and prev.i in cues):
        return None
    floor = max(index.at_or_after(floor_char), q_lo - MAX_CUE_DISTANCE)
    k = bisect.bisect_left(positions, q_lo) - 1
    while k >= 0 and positions[k] >= floor:
        att = cues[positions[k]]
        gap = doc[max(att.span[1], att.cue + 1) : q_lo]
        if any(t.text in _CLAUSE_END for t in gap) or len(gap) > 4:
            return None
        return att
    return None


def _drop_floating_noise(ctx: _Extraction) -> None:
    """Pass 4: keep a quotation without a cue only when it reads as speech standing on its own.

    It must be long enough, not sit inside reported speech already found, and start a sentence (or a
    paragraph) rather than be a phrase inside a narrative sentence (a title, a scare quote).
    """
    doc = ctx.doc
    by_start: dict[int, tuple[int, int]] = {}
    for q, (lo, hi) in zip(ctx.quotations, ctx.q_tokens, strict=True):
        for s_start, _ in q.segments or ((q.start, q.end),):
            by_start[s_start] = (lo, hi)
    kept: list[QuoteMatch] = []
    for m in ctx.results:
        if not m.floating:
            kept.append(m)
            continue
        lo, hi = by_start[m.start]
        if _words(doc, lo, hi) < MIN_FLOATING_WORDS:
            continue
        if any(s <= m.start and m.end <= e for s, e in ctx.taken.overlapping(m.start, m.end)):
            continue
        prev = doc[lo - 1] if lo > 0 else None
        if prev is not None and not (
            prev.is_space or prev.text in _CLAUSE_END or prev.is_quote or "\n" in prev.text
        ):
            continue
        kept.append(m)
    ctx.results = kept


# The passes of ``extract_statements``, in order: each reads and extends the shared ``_Extraction``.
_PASSES: tuple[Callable[[_Extraction], None], ...] = (
    _quoted_passages,
    _reported_speech,
    _speaker_labels,
    _drop_floating_noise,
    _drop_furniture,
)


def speaker_mention_span(doc: Doc, head: int) -> Span:
    """The words naming the speaker: the head with its left modifiers (and `for/of/at X` for nouns).

    ``US Secretary of State Antony Blinken, who ...`` -> the name chunk; ``a spokesperson for the
    ministry`` -> the whole description.
    """
    tok = doc[head]
    if tok.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
        start, end = tok.i, tok.i + 1
        while start > 0 and doc[start - 1].ent_iob_ != "O" and doc[start].ent_iob_ == "I":
            start -= 1
        while end < len(doc) and doc[end].ent_iob_ == "I":
            end += 1
        return doc[start:end]
    start = tok.i
    for child in tok.lefts:
        if child.dep_ in ("det", "amod", "compound", "nummod", "poss", "nmod", "quantmod", "advmod"):
            start = min(start, int(child.left_edge.i))
    end = tok.i + 1
    if tok.pos_ == "NOUN":
        for child in tok.rights:
            if (
                child.dep_ == "prep"
                and child.lower_ in ("for", "of", "at", "with", "from")
                and child.i == end
            ):
                end = int(child.right_edge.i) + 1
    return doc[start:end]
