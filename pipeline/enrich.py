"""Article -> EnrichedArticle: pure orchestration, no I/O.

normalize (offsets kept) -> spaCy -> entities -> quotes -> speakers (person index + roles) -> countries.

``Enricher.load(settings)`` loads the model and lexicons once; ``enrich`` / ``enrich_many`` are pure
over the loaded state. ``enrich_batch`` is the process-pool entry point: JSON in, JSON out, model loaded
once per worker process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pipeline.ingest.normalize import Compaction, compact_line_ends, normalize_wire
from pipeline.models import Article, EnrichedArticle, Quote, Speaker
from pipeline.nlp.entities import EntityAnalysis, analyse_entities, extract_entities
from pipeline.nlp.lexicons import Lexicons, load_lexicons
from pipeline.nlp.profiles import profile_speakers
from pipeline.nlp.quotes import extract_statements, find_quotations
from pipeline.nlp.roles import SpeakerDescription, describe_people, describe_speaker
from pipeline.nlp.speakers import ResolvedSpeaker, resolve_speakers, speaker_confidence
from pipeline.nlp.tokens import TokenIndex

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

    from pipeline.settings import Settings


@dataclass(frozen=True, slots=True)
class Enricher:
    """The loaded model and lexicons; cheap to share within a process, loaded once per process."""

    nlp: Language
    lexicons: Lexicons
    max_text_chars: int = 200_000

    @classmethod
    def load(cls, settings: Settings) -> Enricher:
        from pipeline.nlp.loader import load_nlp

        return cls(
            with_paragraph_breaks(load_nlp(settings.spacy_model)), load_lexicons(), settings.max_text_chars
        )

    def enrich(self, article: Article) -> EnrichedArticle:
        return self.enrich_many([article])[0]

    def enrich_many(self, articles: Sequence[Article], batch_size: int = 32) -> list[EnrichedArticle]:
        """Parse a batch with ``nlp.pipe`` (article kept as context) and enrich each parsed Doc.

        CRLF line ends are compacted to LF first (``compact_line_ends``) and every offset of the result
        is mapped back to the article as received.
        """
        compactions = [compact_line_ends(a.text) for a in articles]
        laid_out = [
            a if c is None else a.model_copy(update={"text": c.text})
            for a, c in zip(articles, compactions, strict=True)
        ]
        clean = [normalize_wire(a.text) for a in laid_out]
        context = zip(articles, laid_out, compactions, clean, strict=True)
        out: list[EnrichedArticle] = []
        for doc, (article, parsed, compaction, text) in self.nlp.pipe(
            zip(clean, context, strict=True), as_tuples=True, batch_size=batch_size
        ):
            enriched = enrich_doc(doc, parsed, self.lexicons, text)
            out.append(enriched if compaction is None else _received_offsets(enriched, article, compaction))
        return out


PARAGRAPH_BREAKS = "quotewire_paragraph_breaks"


def with_paragraph_breaks(nlp: Language) -> Language:
    """Add (once) a component that starts a sentence after each paragraph break, before the parser.

    Wire copy puts headings, captions and furniture ("Story continues below advertisement") on lines of
    their own; parsed into the next paragraph's first sentence, they wreck its attribution. The parser
    keeps sentence starts set before it, so this costs one pass over the tokens.
    """
    if PARAGRAPH_BREAKS in nlp.pipe_names:
        return nlp
    from spacy.language import Language

    if not Language.has_factory(PARAGRAPH_BREAKS):
        Language.component(PARAGRAPH_BREAKS, func=_mark_paragraph_starts)
    before = "parser" if "parser" in nlp.pipe_names else None
    nlp.add_pipe(PARAGRAPH_BREAKS, before=before)
    return nlp


# The longest run of tokens without a sentence end or line break that a sentence may have. Real
# copy stays far below it (ggt-dev, 800 PolNeAR and 800 BBC articles: 99.9% of runs <= 75 tokens,
# the longest 221); hostile text ("A said B said C said ..." over 80 KB) would otherwise be one
# sentence, and every dependency walk over it (spaCy's ``Token.children`` walks the subtree) makes the
# rule layers quadratic. A forced start keeps sentences, subtrees and statement spans bounded.
MAX_SENTENCE_TOKENS = 250
_SENTENCE_END = frozenset({".", "!", "?"})


def _mark_paragraph_starts(doc: Doc) -> Doc:
    previous_break = False
    run = 0  # tokens since the last sentence end, line break or forced start
    for tok in doc:
        if not tok.is_space and (previous_break or run >= MAX_SENTENCE_TOKENS):
            tok.is_sent_start = True
            run = 0
        if tok.is_space and "\n" in tok.text:
            previous_break = True
        elif not tok.is_space:
            previous_break = False
        run = 0 if tok.text in _SENTENCE_END else run + 1
    return doc


def enrich_doc(
    doc: Doc,
    article: Article,
    lexicons: Lexicons,
    clean_text: str | None = None,
) -> EnrichedArticle:
    """Everything after parsing: entities, quotes, speakers, countries.

    ``doc`` is parsed from ``normalize_wire(article.text)``; pass that string as ``clean_text`` to spare
    rebuilding it from the Doc (``Doc.text`` walks every token).
    """
    text = clean_text if clean_text is not None else doc.text
    cues, country_lexicon, titles = lexicons.cues, lexicons.countries, lexicons.titles
    analysis = analyse_entities(doc, titles, country_lexicon)
    people = [
        p
        for p in analysis.persons.persons
        if not any(ch.isdigit() or ch in "/@|" for ch in p.canonical)  # "Bill C-74", photo credits
    ]
    entities = extract_entities(doc, original=article.text)
    quotations = find_quotations(text, marks=article.text)  # the marks as written (curly, low-9, guillemets)
    tokens = TokenIndex(doc)  # the document's one token index
    extraction = extract_statements(doc, cues, text=text, quotations=quotations, tokens=tokens)
    matches = extraction.matches
    quoted = [tokens.token_range(q.start, q.end) for q in quotations]  # names inside are no antecedents

    described: dict[tuple[int, int], SpeakerDescription] = {}

    def describe(span: Span) -> SpeakerDescription:
        key = (span.start, span.end)
        if key not in described:
            described[key] = describe_speaker(doc, span, country_lexicon, titles)
        return described[key]

    people_desc = describe_people(doc, analysis.persons, country_lexicon, titles)
    speakers = resolve_speakers(
        doc,
        matches,
        people,
        lexicons,
        quoted_ranges=quoted,
        people_desc=people_desc,
        describe=describe,
        text=text,
    )
    profiles = profile_speakers(
        doc, matches, speakers, people_desc, describe, country_lexicon, people, original_text=article.text
    )
    quotes = []
    for m, s, prof in zip(matches, speakers, profiles, strict=True):
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        quotes.append(
            Quote(
                text=article.text[m.start : m.end],
                start=m.start,
                end=m.end,
                kind=m.kind,
                cue=m.cue,
                speaker=Speaker(
                    name=_public_name(analysis, s),
                    # a floating quote of an unnamed speaker keeps the description that identifies them
                    mention=s.mention or (s.name if _public_name(analysis, s) is None else None),
                    type=s.type,
                    role=prof.role,
                    country=prof.country,
                    country_source=prof.country_source,
                    rule=s.rule or None,
                    mention_start=s.mention_start,
                    mention_end=s.mention_end,
                    confidence=speaker_confidence(s),
                ),
                countries=country_lexicon.countries_in(span) if span is not None else [],
            )
        )
    return EnrichedArticle(
        id=article.id,
        text=article.text,
        headline=article.headline,
        published=article.published,
        version=article.version,
        source=article.source,
        url=article.url,
        received=article.received,
        language=article.language,
        warnings=article.warnings,
        entities=entities,
        quotes=quotes,
        countries=country_lexicon.countries_in(doc),
        quotes_capped=extraction.capped,
    )


# Words that open a description, not a name: "the operator", "a private security professional".
_DESCRIPTION_OPENERS = frozenset({"a", "an", "the", "one", "some", "several", "many", "two", "three"})


def _received_offsets(enriched: EnrichedArticle, article: Article, compaction: Compaction) -> EnrichedArticle:
    """The enrichment of a CRLF-compacted text, with every offset and text read from ``article`` as
    received (quotes, their speakers' mentions, entities)."""
    received = article.text

    def span(start: int, end: int) -> tuple[int, int]:
        return compaction.original_span(start, end)

    quotes = []
    for q in enriched.quotes:
        start, end = span(q.start, q.end)
        speaker = q.speaker
        if speaker.mention_start is not None and speaker.mention_end is not None:
            m_start, m_end = span(speaker.mention_start, speaker.mention_end)
            speaker = speaker.model_copy(update={"mention_start": m_start, "mention_end": m_end})
        quotes.append(
            q.model_copy(update={"start": start, "end": end, "text": received[start:end], "speaker": speaker})
        )
    entities = []
    for e in enriched.entities:
        start, end = span(e.start, e.end)
        entities.append(e.model_copy(update={"start": start, "end": end, "text": received[start:end]}))
    return enriched.model_copy(update={"text": received, "quotes": quotes, "entities": entities})


def _public_name(analysis: EntityAnalysis, speaker: ResolvedSpeaker) -> str | None:
    """The name to publish: an organisation by its long form; a person only by a proper name.

    An unnamed speaker ("the operator", "a security guard") has no name: the mention says who it is.
    """
    name = speaker.name
    if not speaker.proper:  # a description ("analysts", "the company" with no organisation named)
        return None
    if speaker.type in ("ORG", "GPE", "NORP"):
        return _org_name(analysis, name)
    if name and (name[:1].islower() or name.split()[0].lower() in _DESCRIPTION_OPENERS):
        return None
    return _org_name(analysis, name) if speaker.type == "UNKNOWN" else name


def _org_name(analysis: EntityAnalysis, name: str | None) -> str | None:
    """An organisation's long form as the article gives it ("the PBO" -> "Parliamentary Budget Officer")."""
    if not name:
        return name
    return analysis.canonical_org(name) or name


# --------------------------------------------------------------------------------------------
# Process-pool entry point
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _process_enricher(model: str, max_text_chars: int) -> Enricher:
    """One Enricher per worker process (the model loads on the first batch)."""
    from pipeline.nlp.loader import load_nlp

    return Enricher(with_paragraph_breaks(load_nlp(model)), load_lexicons(), max_text_chars)


def enrich_batch(
    articles_json: Iterable[str | bytes], model: str, batch_size: int = 32, max_text_chars: int = 200_000
) -> list[dict[str, Any]]:
    """Enrich JSON-encoded articles in a worker process; returns JSON-ready dicts (picklable).

    One result per input, in order: ``{"ok": <EnrichedArticle as JSON dict>}`` or
    ``{"error": {"reason", "detail"}}`` with the stream's decode reasons (``not_json``, ``empty_text``,
    ...), so one bad article never fails the batch. The model is loaded once per process.
    """
    from pipeline.errors import BadArticle
    from pipeline.ingest.decode import decode_article

    enricher = _process_enricher(model, max_text_chars)
    results: list[dict[str, Any] | None] = []
    good: list[Article] = []
    slots: list[int] = []
    for raw in articles_json:
        decoded = decode_article(raw.encode("utf-8") if isinstance(raw, str) else raw, max_text_chars)
        if isinstance(decoded, BadArticle):
            results.append({"error": {"reason": decoded.reason, "detail": decoded.detail}})
            continue
        slots.append(len(results))
        results.append(None)
        good.append(decoded)
    for slot, enriched in zip(slots, enricher.enrich_many(good, batch_size), strict=True):
        results[slot] = {"ok": enriched.model_dump(mode="json")}
    return [r for r in results if r is not None]
