"""Speaker role, country and organisation from titles, appositions and descriptions (real spaCy)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.ingest.normalize import normalize_wire
from pipeline.nlp.countries import CountryLexicon
from pipeline.nlp.entities import build_person_index
from pipeline.nlp.roles import SpeakerDescription, describe_people, describe_speaker, role_groups
from pipeline.settings import PROJECT_ROOT

SHARED_SEED = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"


def _describe(nlp: Language, lexicon: CountryLexicon, text: str, mention: str) -> SpeakerDescription:
    doc = nlp(text)
    i = text.index(mention)
    span = doc.char_span(i, i + len(mention), alignment_mode="expand")
    assert span is not None
    return describe_speaker(doc, span, lexicon)


@pytest.mark.parametrize(
    ("text", "mention", "role", "country", "org"),
    [
        # pre-modifiers: demonym or country word + title
        (
            "In turn, Russian Deputy Foreign Minister Sergey Ryabkov noted that it works.",
            "Sergey Ryabkov",
            "Deputy Foreign Minister",
            "RU",
            None,
        ),
        (
            "Earlier, CNN reported that US Secretary of State Antony Blinken had a phone call.",
            "Antony Blinken",
            "Secretary of State",
            "US",
            None,
        ),
        ("Canada's Prime Minister Justin Trudeau said it.", "Justin Trudeau", "Prime Minister", "CA", None),
        (
            "Former British Prime Minister Tony Blair said so.",
            "Tony Blair",
            "Former Prime Minister",
            "GB",
            None,
        ),
        ("Ukrainian President Volodymyr Zelensky said so.", "Volodymyr Zelensky", "President", "UA", None),
        # an organisation before the title
        (
            "Toronto Maple Leafs coach Sheldon Keefe said the team played well.",
            "Sheldon Keefe",
            "coach",
            "CA",
            "Toronto Maple Leafs",
        ),
        # appositions: the possessor's country, not the posting's
        (
            "Anatoly Antonov, Russia's ambassador to the US, said the talks failed.",
            "Anatoly Antonov",
            "ambassador to the US",
            "RU",
            None,
        ),
        (
            "Russia's ambassador to the US, Anatoly Antonov, said the talks failed.",
            "Anatoly Antonov",
            "ambassador to the US",
            "RU",
            None,
        ),
        (
            "Dmytro Kuleba, the foreign minister of Ukraine, said so.",
            "Dmytro Kuleba",
            "foreign minister of Ukraine",
            "UA",
            None,
        ),
        (
            "Maria Lopez, a spokesperson for the Mexican Foreign Ministry, said the talks failed.",
            "Maria Lopez",
            "spokesperson for the Mexican Foreign Ministry",
            "MX",
            "Mexican Foreign Ministry",
        ),
        ("The team's goalie, Frederik Andersen, said it.", "Frederik Andersen", "goalie", None, None),
        # descriptions
        (
            "In particular, the top US diplomat encouraged him.",
            "the top US diplomat",
            "top diplomat",
            "US",
            None,
        ),
        ('"We disagree," the diplomat said.', "the diplomat", "diplomat", None, None),
        (
            "A spokesperson for the ministry said so.",
            "A spokesperson for the ministry",
            "spokesperson for the ministry",
            None,
            None,
        ),
        # organisations as speakers
        (
            "The diplomat said on the Russian embassy's Telegram channel that it was over.",
            "the Russian embassy's Telegram channel",
            None,
            "RU",
            "Russian embassy",
        ),
        ("The diplomat wrote to the Russian embassy.", "the Russian embassy", None, "RU", "Russian embassy"),
        ("The Kremlin said so.", "The Kremlin", None, "RU", "Kremlin"),
        # an affiliation in apposition is an organisation, not a role
        (
            "Sara Lind, University of Manitoba, said the data were clear.",
            "Sara Lind",
            None,
            "CA",
            "University of Manitoba",
        ),
        # "X-based" is where, not what
        (
            "Maria Chen, a Toronto-based analyst, said prices would rise.",
            "Maria Chen",
            "analyst",
            "CA",
            None,
        ),
        # US congressional style: party and state after the name
        ("Sen. Claire Hale (D-Mo.) said the bill failed.", "Claire Hale", "Sen.", "US", None),
        ("Rep. Bo Tran, R-Iowa, said the bill failed.", "Bo Tran", "Rep.", "US", None),
        # an organisation noun is an organisation; a pronoun or a plain noun is nothing
        ("The ministry said so.", "The ministry", None, None, "ministry"),
        ('"No," he said.', "he", None, None, None),
        ("The report said so.", "The report", None, None, None),
        # negatives: nothing said about the person, or a capitalised word that is not a title
        ("Earlier, John Smith said so.", "John Smith", None, None, None),
        ("PINE RIVER, Man. \u2014 Tom Ward, who grew up here, came back.", "Tom Ward", None, None, None),
        ("In July, Paul Whelan called home.", "Paul Whelan", None, None, None),
    ],
)
def test_describe_speaker(
    nlp: Language,
    lexicon: CountryLexicon,
    text: str,
    mention: str,
    role: str | None,
    country: str | None,
    org: str | None,
) -> None:
    desc = _describe(nlp, lexicon, text, mention)
    assert (desc.role, desc.country, desc.org) == (role, country, org)


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("the diplomat", {"diplomat"}),
        ("the top US diplomat", {"diplomat"}),
        ("ambassador to the US", {"diplomat"}),
        ("Secretary of State", {"diplomat", "minister"}),
        ("Deputy Foreign Minister", {"diplomat", "minister"}),
        ("Prime Minister", {"minister", "head of government", "leader"}),
        ("police spokesperson", {"spokesperson", "police"}),
        ("the goalie", {"sports"}),
        # negatives
        ("the house", set()),
        ("", set()),
    ],
)
def test_role_groups(text: str, groups: set[str]) -> None:
    assert role_groups(text) == groups


def test_description_matches_an_earlier_title() -> None:
    """ "the diplomat" can be the ambassador or the Secretary of State, not the coach."""
    diplomat = role_groups("the diplomat")
    assert diplomat & role_groups("ambassador to the US")
    assert diplomat & role_groups("Secretary of State")
    assert not diplomat & role_groups("head coach")


def test_seed_people(nlp: Language, lexicon: CountryLexicon) -> None:
    doc = nlp(normalize_wire(SHARED_SEED.read_text(encoding="utf-8")))
    people = describe_people(doc, build_person_index(doc), lexicon)
    assert (people["Antony Blinken"].role, people["Antony Blinken"].country) == ("Secretary of State", "US")
    assert (people["Sergey Ryabkov"].role, people["Sergey Ryabkov"].country) == (
        "Deputy Foreign Minister",
        "RU",
    )
    assert "diplomat" in people["Antony Blinken"].groups
