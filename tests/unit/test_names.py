"""Person-name keys: spellings that must meet, and names that must stay apart."""

from __future__ import annotations

import pytest

from pipeline.index.names import NameLexicon, default_lexicon, fold, name_key, name_keys, token_key
from pipeline.index.queries import is_country_word, person_keys


@pytest.fixture(scope="module")
def lexicon() -> NameLexicon:
    return default_lexicon()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Gérard Depardieu", "gerard depardieu"),
        ("Łukasz Żak", "lukasz zak"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("STRAUß", "strauss"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Recep Tayyip Erdoğan", "recep tayyip erdogan"),
        ("Lavrov's", "lavrov"),
        ("Lavrov\u2019s remarks", "lavrov remarks"),
        ("O'Sullivan", "osullivan"),
        ("Сергей Лавров", "sergey lavrov"),
        ("Володимир Зеленський", "volodimir zelenskiy"),
        ("Йорданов", "yordanov"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


# Spellings of one name: every pair in a row must give the same keys.
SAME = [
    ("Zelenskyy", "Zelensky", "Zelenskiy", "ZELENSKII", "zelenski"),
    ("Sergey Lavrov", "Sergei Lavrov", "sergei lavrov", "SERGEY LAVROV"),
    ("Dmitry Peskov", "Dmitri Peskov", "Dmitriy Peskov", "Dmitrii Peskov"),
    ("Alexei Navalny", "Aleksei Navalny", "Aleksey Navalny", "Alexey Navalny"),
    ("Yevgeny Prigozhin", "Evgeny Prigozhin", "Evgeniy Prigozhin", "Yevgeni Prigozhin"),
    ("Mikhail Gorbachev", "Mihail Gorbachov"),
    ("Muammar Gaddafi", "Muammar Qaddafi", "Muammar Kadhafi", "Muammar Gadhafi"),
    ("Muhammad", "Mohammed", "Mohamed", "Mohammad"),
    ("Nikolai Patrushev", "Nikolay Patrushev"),
    ("Andrei", "Andrey"),
    ("Yulia Tymoshenko", "Yuliya Timoshenko"),
    ("Foreign Minister Sergey Lavrov", "Sergey Lavrov", "Mr. Sergei Lavrov"),
    ("Gérard Depardieu", "Gerard Depardieu"),
    ("Сергей Лавров", "Sergey Lavrov", "Sergei Lavrov"),
    ("Зеленский", "Zelenskyy"),
    ("Дмитрий Песков", "Dmitry Peskov"),
    ("Lavrov's", "Lavrov"),
]


@pytest.mark.parametrize("spellings", SAME)
def test_spellings_meet(spellings: tuple[str, ...], lexicon: NameLexicon) -> None:
    keys = {tuple(name_keys(s, lexicon)) for s in spellings}
    assert len(keys) == 1, keys


# Different names that must not share a key.
APART = [
    ("Lavrov", "Ryabkov"),
    ("Sergey Lavrov", "Sergey Ryabkov"),
    ("Antonov", "Antony"),
    ("Blinken", "Blink"),
    ("Ivanov", "Ivanova"),
    ("Putin", "Peskov"),
]


@pytest.mark.parametrize(("a", "b"), APART)
def test_different_names_stay_apart(a: str, b: str, lexicon: NameLexicon) -> None:
    assert name_keys(a, lexicon) != name_keys(b, lexicon)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Foreign Minister Sergey Lavrov", ["sergei", "lavrov"]),
        ("Secretary of State Antony Blinken", ["antoni", "blinken"]),
        ("Dr. Anthony Fauci", ["anthoni", "fauci"]),
        ("Jeroen van der Veer", ["jeroen", "van", "der", "ver"]),
        ("Martin Luther King", ["martin", "luther", "king"]),  # surnames that are titles elsewhere stay
        ("John Major", ["john", "major"]),
        ("The President", ["president"]),  # only titles: they are all there is to match
        ("Jean-Claude Juncker", ["jean", "claude", "juncker"]),
        ("", []),
    ],
)
def test_name_keys(name: str, keys: list[str], lexicon: NameLexicon) -> None:
    assert name_keys(name, lexicon) == keys


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("Russian Deputy Foreign Minister Sergey Ryabkov", ["sergei", "riabkov"]),
        ("US Secretary of State Antony Blinken", ["antoni", "blinken"]),
        ("Jordan Peterson", ["jordan", "peterson"]),  # a country word not before a title stays
        ("blinken", ["blinken"]),
    ],
)
def test_person_keys_drop_a_country_before_a_title(typed: str, keys: list[str], lexicon: NameLexicon) -> None:
    assert person_keys(typed, lexicon, is_country_word) == keys


def test_name_key_joins_keys(lexicon: NameLexicon) -> None:
    assert name_key("Foreign Minister Sergey Lavrov", lexicon) == "sergei lavrov"
    assert name_key("!!", lexicon) == ""


def test_variant_groups_come_from_data() -> None:
    lexicon = NameLexicon.from_data(titles=["boss"], connectors=["of"], variant_groups=[["Smith", "Schmidt"]])
    assert name_keys("Boss of Ops John Schmidt", lexicon) == ["ops", "john", "smith"]
    assert token_key("schmidt", lexicon) == token_key("smith", lexicon)
    assert token_key("schmidt", NameLexicon()) != token_key("smith", NameLexicon())


# --- names in any script ------------------------------------------------------------------------------


# Written in its own script, a name folds to words of that script (accents off where they are marks),
# and both sides of a search (index and query) give the same keys.
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("习近平", ["习近平"]),  # a Han run is one word: Chinese names are written without spaces
        ("安倍 晋三", ["安倍", "晋三"]),
        ("Κυριάκος Μητσοτάκης", ["κυριακος", "μητσοτακης"]),
        ("محمد بن سلمان", ["محمد", "بن", "سلمان"]),
        ("김정은", ["김정은"]),  # Hangul syllables stay composed
        ("ben-Gvir_2", ["ben", "gvir", "2"]),  # "_" and "-" separate words
        ("!!! ... ---", []),  # negatives: nothing to search for
        ("😀 ★", []),
    ],
)
def test_fold_words_any_script(name: str, words: list[str]) -> None:
    from pipeline.index.names import fold_words

    assert fold_words(name) == words


@pytest.mark.parametrize(
    ("a", "b", "meet"),
    [
        ("Μητσοτάκης", "ΜΗΤΣΟΤΑΚΗΣ", True),
        ("Μητσοτάκης", "Μητσοτακης", True),
        ("习近平", "习近平", True),
        ("习近平", "李强", False),
        ("محمد", "سلمان", False),
        ("김정은", "김여정", False),
    ],
)
def test_non_latin_keys_meet_or_stay_apart(a: str, b: str, meet: bool, lexicon: NameLexicon) -> None:
    assert (name_keys(a, lexicon) == name_keys(b, lexicon)) is meet
    assert name_keys(a, lexicon)  # never empty: the name is searchable
