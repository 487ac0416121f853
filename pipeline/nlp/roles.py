"""A speaker's role, country and organisation from the words around a mention.

``describe_speaker(doc, span, lexicon)`` reads, for a person span:

* pre-modifiers: "Russian Deputy Foreign Minister Sergey Ryabkov" -> role "Deputy Foreign Minister",
  country RU; "US Secretary of State Antony Blinken" -> "Secretary of State", US; "Toronto Maple Leafs
  coach Sheldon Keefe" -> role "coach", org "Toronto Maple Leafs"; "Canada's Prime Minister ..." -> CA.
* appositions, either side: "Anatoly Antonov, Russia's ambassador to the US," -> role "ambassador to
  the US", country RU (the possessor's country, not the posting's: "to/in/at X" never gives the
  country; "of/for X" does); "a spokesperson for the Mexican Foreign Ministry" -> org and country MX.

and for a mention that is not a person:

* an organisation ("the Russian embassy", "the Russian embassy's Telegram channel") -> org
  "Russian embassy", country RU;
* a description ("the diplomat", "the top US diplomat") -> role "top diplomat", country US, and the
  role groups ({"diplomat"}) so that a resolver can match it with a person described earlier as an
  ambassador (groups come from ``role_nouns`` in config/titles.yaml).

The person's country is the first of: a country word in the title, in the apposition, the country of
the organisation. ``describe_people`` merges the descriptions of every mention of each person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.nlp.countries import CountryLexicon
from pipeline.nlp.titles import TitleLexicon, load_title_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from pipeline.nlp.entities import PersonIndex

# How far left a title may reach ("Russian Deputy Foreign Minister for Asia-Pacific Affairs ...").
_MAX_PREMODIFIER_TOKENS = 9
_POSSESSIVE = frozenset({"'s", "'", "\u2019s", "\u2019"})
# Prepositions after a role noun that name the person's own side ("minister of Ukraine",
# "spokesperson for the ministry") vs their posting ("ambassador to the US", "envoy in Kabul").
_OWN_PREPS = frozenset({"of", "for", "with", "from"})
_NOUNISH = frozenset({"NOUN", "PROPN"})
_PLACE_LABELS = frozenset({"GPE", "NORP", "LOC"})
_ORG_LABELS = frozenset({"ORG", "GPE", "NORP", "FAC"})
# US congressional style after a name: "(D-Mo.)", ", R-Iowa,", "(I-Vt.)".
_US_PARTY_STATE = re.compile(r"\s*[,(]\s*[DRI]-[A-Z][A-Za-z.]*(?: [A-Z][a-z]*\.?)?\)?")
_PARTY_STATE_ORG = re.compile(r"\(|[DRI]-[A-Z]")
# Left over at the front of a role once its country is taken out: "Alberta-based manager".
_LEADING_JUNK = frozenset({"-", "based", "\u2013", ","})


@dataclass(frozen=True, slots=True)
class SpeakerDescription:
    """What the text says a speaker is. ``groups``: role-noun groups of ``role`` ("diplomat", ...)."""

    role: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    org: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    def merged(self, other: SpeakerDescription) -> SpeakerDescription:
        """Fill this description's gaps from ``other`` (this one wins where both know)."""
        return SpeakerDescription(
            role=self.role or other.role,
            country=self.country or other.country,
            org=self.org or other.org,
            groups=self.groups | other.groups,
        )


def describe_speaker(
    doc: Doc, span: Span, lexicon: CountryLexicon, titles: TitleLexicon | None = None
) -> SpeakerDescription:
    """Role, country and organisation of the speaker mentioned by ``span`` (see module doc)."""
    lex = titles or load_title_lexicon()
    countries = _country_tokens(doc, lexicon)
    people = _person_tokens(doc)
    person = [t for t in span if t.i in people]
    if person:
        return _describe_person(doc, span, person, lex, lexicon, countries)
    return _describe_other(doc, span, lex, lexicon, countries)


def describe_people(
    doc: Doc, people: PersonIndex, lexicon: CountryLexicon, titles: TitleLexicon | None = None
) -> dict[str, SpeakerDescription]:
    """One merged description per canonical person name, from all of their mentions in ``doc``.

    Earlier mentions win where two disagree (the first, full introduction of a person carries the title).
    """
    out: dict[str, SpeakerDescription] = {}
    for mention in people.persons:
        desc = describe_speaker(doc, doc[mention.start : mention.end], lexicon, titles)
        prev = out.get(mention.canonical)
        out[mention.canonical] = prev.merged(desc) if prev else desc
    return out


def role_groups(text: str, titles: TitleLexicon | None = None) -> frozenset[str]:
    """Role-noun groups of a role or description ("the top US diplomat" -> {"diplomat"})."""
    return (titles or load_title_lexicon()).groups_of(text)


# --- implementation --------------------------------------------------------------------------


def _country_tokens(doc: Doc, lexicon: CountryLexicon) -> dict[int, str]:
    """token index -> country code for every token inside a country mention of ``doc``."""
    key = "quotewire.country_tokens"
    cached = doc.user_data.get(key)
    if isinstance(cached, dict):
        return cached
    out: dict[int, str] = {}
    for mention in lexicon.mentions(doc):
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is not None:
            for tok in span:
                out[tok.i] = mention.code
    doc.user_data[key] = out
    return out


def _person_tokens(doc: Doc) -> frozenset[int]:
    """Token indices of every person mention, after the entity fixes of ``pipeline.nlp.entities``."""
    key = "quotewire.person_tokens"
    cached = doc.user_data.get(key)
    if isinstance(cached, frozenset):
        return cached
    from pipeline.nlp.entities import analyse_entities  # roles <- entities, never the other way

    out = frozenset(i for p in analyse_entities(doc).persons.persons for i in range(p.start, p.end))
    doc.user_data[key] = out
    return out


def _is_title_token(tok: Token, lex: TitleLexicon) -> bool:
    low = tok.lower_
    if lex.is_role_word(low):
        return True
    if _descriptive_word(tok):
        return True
    if not (tok.text[:1].isupper() and tok.pos_ in ("PROPN", "NOUN", "ADJ")):
        return False
    # A capital at a sentence start says nothing, unless spaCy saw a place, people or organisation.
    return not tok.is_sent_start or tok.ent_type_ in ("GPE", "NORP", "LOC", "ORG")


def _descriptive_word(tok: Token) -> bool:
    """A lower-case noun or adjective that modifies what follows ("infrastructure critic", "radiation
    oncologist", "volunteer media coordinator" before a name): news copy's descriptive titles."""
    return (
        tok.text.islower()
        and tok.is_alpha
        and tok.pos_ in ("NOUN", "ADJ")
        and tok.dep_ in ("compound", "amod", "nmod", "nsubj", "appos", "npadvmod", "dep")
        and tok.head.i > tok.i
    )


def _premodifiers(doc: Doc, start: int, lex: TitleLexicon) -> list[Token]:
    """Title tokens right before a name, left to right; possessive owners included ("Canada 's")."""
    out: list[Token] = []
    j = start - 1
    while j >= 0 and start - j <= _MAX_PREMODIFIER_TOKENS:
        tok = doc[j]
        if tok.is_space and tok.text.strip(" \t") == "\n":
            j -= 1  # a hard line wrap inside the title ("U.S. Trade Representative\nClayton Yeutter")
            continue
        if tok.is_space or "\n\n" in tok.whitespace_ or tok.i in _person_tokens(doc):
            break
        if tok.text in _POSSESSIVE:
            out.append(tok)
            j -= 1
            continue
        if tok.lower_ in lex.connectors and out and (tok.lower_ != "the" or _after_of(doc, j)):
            out.append(tok)  # "Secretary of State", "Chancellor of the Exchequer"
            j -= 1
            continue
        if tok.text == "." and j > 0 and _abbreviated_title(doc[j - 1], lex):
            out.append(tok)  # "RCMP Sgt. Paul Ames": the tokenizer splits the abbreviation's dot
            j -= 1
            continue
        if tok.is_punct or tok.pos_ in ("DET", "VERB", "AUX", "PRON", "SCONJ", "CCONJ", "NUM", "ADV"):
            break
        if not _is_title_token(tok, lex):
            break
        out.append(tok)
        if tok.is_sent_start:
            break
        j -= 1
    out.reverse()
    # A title never starts with a connector or a possessive marker ("of Foreign Affairs ...").
    while out and (out[0].lower_ in lex.connectors or out[0].text in _POSSESSIVE):
        out.pop(0)
    return out


def _after_of(doc: Doc, j: int) -> bool:
    """Is token ``j`` (a "the") right after "of"/"for" ("Chancellor of the Exchequer")?"""
    return j > 0 and doc[j - 1].lower_ in ("of", "for")


def _abbreviated_title(tok: Token, lex: TitleLexicon) -> bool:
    """ "Sgt", "Lt", "Gen" before a split-off dot: a title abbreviation."""
    return not tok.whitespace_ and f"{tok.lower_}." in lex.title_heads


def _text_of(tokens: list[Token]) -> str | None:
    """Tokens (in order, possibly with gaps) as text, whitespace collapsed."""
    if not tokens:
        return None
    parts: list[str] = []
    for k, tok in enumerate(tokens):
        parts.append(tok.text)
        if k + 1 < len(tokens):
            parts.append(" " if tok.whitespace_ or tokens[k + 1].i != tok.i + 1 else "")
    text = "".join(parts).strip(" ,;:-")
    return " ".join(text.split()) or None


def _trim(tokens: list[Token], lex: TitleLexicon) -> list[Token]:
    """Drop determiners, possessive markers and connectors from the ends of a token run."""
    while tokens and (
        tokens[0].pos_ == "DET"
        or tokens[0].text in _POSSESSIVE
        or tokens[0].lower_ in lex.connectors
        or tokens[0].lower_ in _LEADING_JUNK
    ):
        tokens = tokens[1:]
    while tokens and (
        tokens[-1].is_punct or tokens[-1].text in _POSSESSIVE or tokens[-1].lower_ in lex.connectors
    ):
        tokens = tokens[:-1]
    return tokens


def _split_title(
    tokens: list[Token], lex: TitleLexicon, countries: dict[int, str]
) -> tuple[list[Token], str | None, list[Token]]:
    """Split pre-modifiers into (org tokens at the left edge, country, role tokens)."""
    country: str | None = None
    org: list[Token] = []
    role: list[Token] = []
    seen_role_word = False
    for tok in tokens:
        code = countries.get(tok.i)
        if tok.ent_type_ == "ORG" and not seen_role_word and not lex.is_role_word(tok.lower_):
            # "Bank of Japan Governor": the organisation whole, its country word included.
            org.append(tok)
            country = country or code
            continue
        if code is not None and (not seen_role_word or tok.ent_type_ in _PLACE_LABELS):
            country = country or code
            continue
        if tok.text in _POSSESSIVE:
            continue
        role.append(tok)
        if lex.is_role_word(tok.lower_):
            seen_role_word = True
    role = _trim(role, lex)
    # "former Conservative infrastructure critic Michael Chong": a common noun right before the name
    # heads a descriptive title even when no title list knows it
    descriptive = bool(role) and role[-1].pos_ == "NOUN" and role[-1].text.islower()
    if role and not descriptive and not _is_role_phrase(_text_of(role) or "", lex):
        # "Earlier", "TROUT BROOK" or "Press" (of "The Canadian Press") is not a title; right after
        # organisation words it is the rest of the organisation's name.
        if org and role[0].i == org[-1].i + 1:
            org = [*org, *role]
        role = []
    return org, country, role


def _is_role_phrase(text: str, lex: TitleLexicon) -> bool:
    """Is ``text`` a title or role: a known role phrase inside it, or a title word at its head (the
    rightmost word: "Deputy Foreign Minister", "Secretary of State")?"""
    if lex.groups_of(text):
        return True
    words = text.lower().split()
    return bool(words) and words[-1] in lex.title_heads


def _appositions(head: Token, lex: TitleLexicon) -> list[Token]:
    """Nouns in apposition to the name's head, either "Name, the X," or "the X, Name,".

    In the second form the parser often hangs the name on the last noun of the title ("ambassador to
    Turkey, Taras Hnatyuk": appos of "Turkey"); climb through the prepositional phrase to the role noun.
    """
    out = [
        c
        for c in head.children
        if c.dep_ == "appos" and c.pos_ in _NOUNISH and c.ent_type_ not in ("PERSON", "GPE")
    ]
    if head.dep_ == "appos":
        cand = head.head
        for _ in range(3):  # pobj <- prep <- noun
            if lex.is_role_word(cand.lower_) or cand.dep_ not in ("pobj", "prep"):
                break
            cand = cand.head
        # Only a role noun, known or common ("DeLaet's agent, Danny Fritz,"): "TROUT BROOK, N.B. —
        # Kevin Vickers" (a dateline) is parsed the same way.
        role_noun = lex.is_role_word(cand.lower_) or (cand.pos_ == "NOUN" and cand.text.islower())
        if role_noun and cand.ent_type_ not in ("PERSON", "GPE") and cand.i < head.i:
            out.append(cand)
    out.extend(_relative_roles(head))
    return out


# "X, who is Y": the verbs of a relative clause that give its subject a role.
_ROLE_VERBS = frozenset({"be", "become", "serve", "remain"})


def _relative_roles(head: Token) -> list[Token]:
    """The role noun of "Name, who is / became / serves as Y," ("Kevin Vickers, who became Canada's
    ambassador to Ireland")."""
    out: list[Token] = []
    for clause in head.children:
        if clause.dep_ != "relcl" or clause.lemma_ not in _ROLE_VERBS:
            continue
        if not any(c.dep_ == "nsubj" and c.lower_ == "who" for c in clause.children):
            continue
        for c in clause.children:
            if c.dep_ in ("attr", "oprd") and c.pos_ in _NOUNISH:
                out.append(c)
            elif c.dep_ == "prep" and c.lower_ == "as":
                out.extend(g for g in c.children if g.dep_ == "pobj" and g.pos_ in _NOUNISH)
    return out


# How long an apposition read from the surface may be ("Jo Li, health promotion and nutrition manager
# with Heart and Stroke in Manitoba, said").
_MAX_APPOSITION_TOKENS = 16
# After these a place is a posting or a location, not the person's side ("ambassador to France").
_POSTING_PREPS = frozenset({"to", "in", "at", "near", "toward", "towards", "across", "outside"})


def _surface_apposition(doc: Doc, k: int, lex: TitleLexicon, countries: dict[int, str]) -> SpeakerDescription:
    """ "Name, <role>," read from the words when the parser missed the apposition ("Navdeep Bains,
    Minister of Innovation, Science and Economic Development, said"): the words up to the next comma,
    an age skipped ("Jo Li, 45, a nurse,"), kept only when a title or role word is among them."""
    for _segment in range(2):
        if k >= len(doc) or doc[k].text != ",":
            return SpeakerDescription()
        j = k + 1
        while j < len(doc) and j - k <= _MAX_APPOSITION_TOKENS:
            tok = doc[j]
            if (
                tok.text in (",", ";", "(", ")")
                or tok.is_sent_start
                or tok.is_space
                or tok.pos_ in ("VERB", "AUX")
            ):
                break
            if tok.is_quote:
                return SpeakerDescription()
            j += 1
        if _names_someone(doc, k + 1, j, lex):
            return SpeakerDescription()  # "Jo Li, Tom Fry and ..." is a list of people, not a role
        words = _trim(list(doc[k + 1 : j]), lex)
        if words and all(t.like_num for t in words):
            k = j  # an age: the role may follow
            continue
        if not words or j - k > _MAX_APPOSITION_TOKENS:
            return SpeakerDescription()
        if not any(lex.is_role_word(t.lower_) and t.pos_ in _NOUNISH for t in words):
            return SpeakerDescription()
        role = _text_of(words)
        country: str | None = None
        for t in words:
            if t.lower_ in _POSTING_PREPS:
                break
            country = country or countries.get(t.i)
        return SpeakerDescription(role=role, country=country, groups=lex.groups_of(role or ""))
    return SpeakerDescription()


def _names_someone(doc: Doc, start: int, end: int, lex: TitleLexicon) -> bool:
    """Does a person's name lie in tokens [start, end)? A "person" made of a title ("Liberal MLA",
    which the small model tags PERSON) names nobody."""
    named = _named_tokens(doc, lex)
    return any(i in named for i in range(start, end))


def _named_tokens(doc: Doc, lex: TitleLexicon) -> frozenset[int]:
    """Tokens of the person mentions that hold no title word (computed once per Doc)."""
    key = "quotewire.named_person_tokens"
    cached = doc.user_data.get(key)
    if isinstance(cached, frozenset):
        return cached
    from pipeline.nlp.entities import analyse_entities  # roles <- entities, never the other way

    out = frozenset(
        i
        for p in analyse_entities(doc).persons.persons
        if not any(lex.is_role_word(doc[k].lower_) for k in range(p.start, p.end))
        for i in range(p.start, p.end)
    )
    doc.user_data[key] = out
    return out


def _until_clause(tokens: list[Token]) -> list[Token]:
    """Tokens up to a comma or the start of a relative clause ("Bailey & Glasser, who represents ...")."""
    for k, tok in enumerate(tokens):
        if tok.text in (",", ";", "(") or tok.dep_ in ("relcl", "acl"):
            return tokens[:k]
    return tokens


def _describe_noun(
    noun: Token, lex: TitleLexicon, lexicon: CountryLexicon, countries: dict[int, str]
) -> SpeakerDescription:
    """Role/country/org of a role noun phrase headed by ``noun`` ("Russia's ambassador to the US")."""
    doc = noun.doc
    country: str | None = None
    org: str | None = None
    left: list[Token] = []
    for child in noun.lefts:
        if child.dep_ == "poss":
            owner = _trim([t for t in child.subtree if t.text not in _POSSESSIVE], lex)
            owner_text = _text_of(owner)
            code = next((countries[t.i] for t in owner if t.i in countries), None)
            if code:
                country = country or code
            elif owner_text and any(t.ent_type_ == "ORG" for t in owner):
                org = owner_text
                country = country or lexicon.country_of_org(owner_text)
            continue
        left.extend(child.subtree)
    right: list[Token] = []
    for child in noun.rights:
        if child.dep_ in ("relcl", "acl", "punct", "appos", "cc", "conj") or child.text == ",":
            break
        right.extend(child.subtree)
        at_org = child.lower_ == "at" and any(t.ent_type_ == "ORG" for t in child.subtree)
        if child.dep_ == "prep" and (child.lower_ in _OWN_PREPS or at_org):
            obj = _until_clause([t for t in child.subtree if t.i != child.i])
            obj_text = _text_of(_trim(obj, lex))
            code = next((countries[t.i] for t in obj if t.i in countries), None)
            if any(t.ent_type_ == "ORG" for t in obj):
                # "spokesperson for the Mexican Foreign Ministry": an organisation and its country.
                org = org or obj_text
                country = country or (lexicon.country_of_org(obj_text) if obj_text else None) or code
            elif code:
                country = country or code  # "foreign minister of Ukraine"
            elif obj_text and lexicon.country_of_org(obj_text):
                org = org or obj_text
                country = country or lexicon.country_of_org(obj_text)
    role_tokens: list[Token] = []
    for tok in sorted([*left, noun, *right], key=lambda t: t.i):
        if tok.i < noun.i and tok.i in countries:
            country = country or countries[tok.i]
            continue
        role_tokens.append(tok)
    people = _person_tokens(doc)
    for k, tok in enumerate(role_tokens):
        if tok.i > noun.i and (tok.text in (",", ";", "(") or tok.i in people):
            role_tokens = role_tokens[:k]  # "ambassador to Turkey, Taras Hnatyuk": stop at the name
            break
    role_tokens = _trim(role_tokens, lex)
    if role_tokens and role_tokens[-1].text[:1].isupper():
        role_tokens = [*role_tokens, *_name_list_tail(doc, role_tokens[-1].i + 1)]
    role = _text_of(role_tokens)
    return SpeakerDescription(role=role, country=country, org=org, groups=lex.groups_of(role or ""))


def _name_list_tail(doc: Doc, k: int) -> list[Token]:
    """The rest of a name listing its parts ("Minister of Innovation[, Science and Economic
    Development]"): ", Capitalised words" segments ending in "and Capitalised words", or nothing."""
    j = k
    tail: list[Token] = []
    while j < len(doc) and doc[j].text == ",":
        seg = j + 1
        while seg < len(doc) and doc[seg].text[:1].isupper() and doc[seg].is_alpha:
            seg += 1
        if seg == j + 1:
            return []
        tail.extend(doc[j:seg])
        j = seg
        if j < len(doc) and doc[j].lower_ == "and":
            end = j + 1
            while end < len(doc) and doc[end].text[:1].isupper() and doc[end].is_alpha:
                end += 1
            out = [*tail, *doc[j:end]] if end > j + 1 else []
            people = _person_tokens(doc)  # "Minister of Finance, Tom Fry and Jo Li": people, not parts
            return [] if any(t.i in people for t in out) else out
    return []


def _describe_person(
    doc: Doc,
    span: Span,
    person: list[Token],
    lex: TitleLexicon,
    lexicon: CountryLexicon,
    countries: dict[int, str],
) -> SpeakerDescription:
    first, last = person[0], person[-1]
    # Title words spaCy kept inside the span ("President Biden") count as pre-modifiers.
    inner = [t for t in span if t.i < first.i]
    tokens = [*_premodifiers(doc, (inner[0].i if inner else first.i), lex), *inner]
    org_tokens, country, role_tokens = _split_title(tokens, lex, countries)
    role = _text_of(role_tokens)
    org = _text_of(_trim(org_tokens, lex))
    if org and country is None:
        country = lexicon.country_of_org(org)
    desc = SpeakerDescription(role=role, country=country, org=org, groups=lex.groups_of(role or ""))
    # "Sen. Claire Hale (D-Mo.)" / "Rep. Bo Tran, R-Iowa,": a US party and state.
    # A few tokens after the name suffice (Doc.text would join the whole document).
    if _US_PARTY_STATE.match(doc[last.i + 1 : last.i + 8].text) is not None:
        desc = SpeakerDescription(desc.role, desc.country or "US", desc.org, desc.groups)
    head = last
    while (
        head.head.i != head.i
        and head.head.ent_type_ == "PERSON"
        and head.head.i in range(first.i, last.i + 1)
    ):
        head = head.head
    for noun in _appositions(head, lex):
        found = _describe_noun(noun, lex, lexicon, countries)
        if found.role and not _is_role_phrase(noun.text, lex) and noun.pos_ == "PROPN":
            # "Konrad Gajewski, University of Ottawa": an affiliation, not a role ("Lorne Fitch, a
            # retired biologist": a common noun is a role whether or not a title list knows it).
            org = found.role if noun.pos_ == "PROPN" else found.org
            found = SpeakerDescription(None, found.country, org, frozenset())
        desc = desc.merged(found)
    if desc.role is None:
        desc = desc.merged(_surface_apposition(doc, last.i + 1, lex, countries))
    if desc.org and _PARTY_STATE_ORG.match(desc.org):
        desc = SpeakerDescription(desc.role, desc.country, None, desc.groups)  # "(D-Mo.": not an org
    if desc.country is None and desc.org:
        desc = SpeakerDescription(desc.role, lexicon.country_of_org(desc.org), desc.org, desc.groups)
    return desc


def _describe_other(
    doc: Doc, span: Span, lex: TitleLexicon, lexicon: CountryLexicon, countries: dict[int, str]
) -> SpeakerDescription:
    tokens = [t for t in span if not t.is_space]
    if not tokens:
        return SpeakerDescription()
    root = span.root
    # "the Russian embassy's Telegram channel": the possessor is the speaker organisation.
    owner = next((c for c in root.children if c.dep_ == "poss" and c.i >= span.start), None)
    role_head = _is_role_phrase(root.lower_, lex)  # "diplomat", "spokesperson"; not "ministry"
    if owner is not None and not role_head:
        owner_tokens = _trim([t for t in owner.subtree if t.text not in _POSSESSIVE], lex)
        text = _text_of(owner_tokens)
        if text:
            code = lexicon.country_of_org(text) or next(
                (countries[t.i] for t in owner_tokens if t.i in countries), None
            )
            if any(t.ent_type_ in ("PERSON",) for t in owner_tokens):
                return SpeakerDescription()
            return SpeakerDescription(org=text, country=code)
    if role_head and root.ent_type_ not in ("ORG", "GPE", "NORP"):
        desc = _describe_noun(root, lex, lexicon, countries)
        return desc
    # An organisation (or a country standing for its government) - but not "he", "the report" or
    # "people": an entity, a proper noun, or an organisation noun ("the ministry") only.
    if root.pos_ == "PRON":
        return SpeakerDescription()
    text = _text_of(_trim(tokens, lex))
    if not text:
        return SpeakerDescription()
    code = lexicon.country_of_org(text) or lexicon.code_for(text, root.ent_type_ or None)
    if code is None:
        code = next((countries[t.i] for t in tokens if t.i in countries), None)
    is_org = (
        code is not None
        or any(t.ent_type_ in _ORG_LABELS for t in tokens)
        or root.pos_ == "PROPN"
        or root.lower_ in lex.org_words
    )
    if not is_org:
        return SpeakerDescription()
    # what the article calls the organisation: its role (no role groups: they serve person matching)
    return SpeakerDescription(role=_org_role(doc, span, lex), org=text, country=code)


# How far an organisation's description reaches before its name ("the British aid group Gatsby").
_MAX_ORG_PREMODIFIER_TOKENS = 5
_MAX_ORG_APPOSITION_TOKENS = 12


def _org_role(doc: Doc, span: Span, lex: TitleLexicon) -> str | None:
    """An organisation's description: the common-noun phrase before its name ("the British aid group
    Gatsby" -> "British aid group") or its apposition (", a Quebec-based engineering firm,")."""
    j = span.start
    while j > 0 and span.start - j < _MAX_ORG_PREMODIFIER_TOKENS:
        tok = doc[j - 1]
        if tok.is_space or tok.is_punct or tok.pos_ not in ("NOUN", "ADJ", "PROPN") or tok.is_sent_start:
            break
        if tok.pos_ == "PROPN" and tok.ent_type_ not in _PLACE_LABELS:
            break  # another name, not a description
        j -= 1
    before = list(doc[j : span.start])
    if before and before[-1].pos_ == "NOUN" and before[-1].text.islower():
        return _text_of(before)
    k = span.end
    if k < len(doc) and doc[k].text == ",":
        end = k + 1
        while end < len(doc) and end - k <= _MAX_ORG_APPOSITION_TOKENS:
            tok = doc[end]
            if (
                tok.text in (",", ";", "(", ")")
                or tok.is_sent_start
                or tok.pos_ in ("VERB", "AUX")
                or tok.is_quote
            ):
                break
            end += 1
        words = list(doc[k + 1 : end])
        if words and words[0].pos_ == "DET" and end - k <= _MAX_ORG_APPOSITION_TOKENS:
            nouns = [t for t in words if t.pos_ == "NOUN" and t.text.islower()]
            if nouns:
                return _text_of(_trim(words, lex))
    return None
