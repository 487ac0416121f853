"""Each quote speaker's profile: role and country, from what the article says about them.

``profile_speakers`` runs after :mod:`pipeline.nlp.speakers` has resolved every quote's speaker; it reads
the descriptions of :mod:`pipeline.nlp.roles` and never changes who the speaker is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.nlp.quotes import QuoteMatch
from pipeline.nlp.roles import SpeakerDescription
from pipeline.nlp.speakers import Describe, ResolvedSpeaker

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class SpeakerProfile:
    role: str | None
    country: str | None  # ISO 3166-1 alpha-2


_CHANNEL_PREPS = frozenset({"on", "in", "via", "through", "to"})


def profile_speakers(
    doc: Doc,
    matches: Sequence[QuoteMatch],
    resolved: Sequence[ResolvedSpeaker],
    people_desc: dict[str, SpeakerDescription],
    describe: Describe,
    org_country: Callable[[str], str | None],
) -> list[SpeakerProfile]:
    """Role and country of each quote's speaker.

    Country: the person's title or apposition anywhere in the article, else this mention's own words
    ("the top US diplomat"), else the channel the statement went out on ("said on the Russian embassy's
    Telegram channel"), else what another quote of the same person established; never the dateline.
    """
    out: list[SpeakerProfile] = []
    person_country: dict[str, str] = {}
    person_role: dict[str, str] = {}
    for m, r in zip(matches, resolved, strict=True):
        role: str | None = None
        country: str | None = None
        known = people_desc.get(r.name or "") if r.type == "PERSON" else None
        if known is not None:
            role, country = known.role, known.country
        if r.mention_start is not None and r.mention_end is not None and (role is None or country is None):
            span = doc.char_span(r.mention_start, r.mention_end, alignment_mode="expand")
            if span is not None and not (len(span) == 1 and span[0].pos_ == "PRON"):
                desc = describe(span)
                role = role or desc.role
                country = country or desc.country
        if country is None and r.type in ("ORG", "GPE", "NORP") and r.name:
            country = org_country(r.name)
        if country is None and m.cue_token is not None:
            country = _channel_country(doc, m.cue_token, describe)
        if r.type == "PERSON" and r.name:
            if country:
                person_country.setdefault(r.name, country)
            if role:
                person_role.setdefault(r.name, role)
        out.append(SpeakerProfile(role, country))
    # a person's role and country established by one quote hold for the others
    return [
        SpeakerProfile(p.role or person_role.get(r.name or ""), p.country or person_country.get(r.name or ""))
        if r.type == "PERSON"
        else p
        for p, r in zip(out, resolved, strict=True)
    ]


def _channel_country(doc: Doc, cue: int, describe: Describe) -> str | None:
    """`said on the Russian embassy's Telegram channel`, `told Russia's TASS`: the outlet's country."""
    for prep in doc[cue].children:
        if prep.dep_ == "prep" and prep.lower_ in _CHANNEL_PREPS:
            obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
            if obj is not None:
                lo, hi = int(obj.left_edge.i), int(obj.right_edge.i) + 1
                desc = describe(doc[lo:hi])
                if desc.country:
                    return desc.country
    return None
