"""The one name-folding function and the keys built on it."""

from __future__ import annotations

import pytest

from pipeline.folding import fold, name_key
from pipeline.index.names import fold as index_fold

FOLDS = [
    ("Gérard  O\u2019Brien", "gerard o'brien"),
    ("Łukasz Straße", "lukasz strasse"),
    ("Лавров", "lavrov"),
    ("Côte d`Ivoire", "cote d'ivoire"),
    ("  Bank of\nCanada ", "bank of canada"),
    ("Nguyễn Thị", "nguyen thi"),
    # negatives: folding keeps words apart and keeps inner apostrophes
    ("O'Neill", "o'neill"),
    ("People's Republic", "people's republic"),
]


@pytest.mark.parametrize(("text", "key"), FOLDS)
def test_fold(text: str, key: str) -> None:
    assert fold(text) == key


NAME_KEYS = [
    ("Antonov's", "antonov"),
    ("Antonov\u2019s,", "antonov"),
    ("Jones'", "jones"),
    ("Zelenskyy.", "zelenskyy"),
    ("Gérard", "gerard"),
    # negatives: a name ending in s, an inner apostrophe
    ("Davis", "davis"),
    ("O'Sullivan", "o'sullivan"),
]


@pytest.mark.parametrize(("text", "key"), NAME_KEYS)
def test_name_key(text: str, key: str) -> None:
    assert name_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [("Gérard O\u2019Brien's", "gerard obrien"), ("Lavrov\u2019s", "lavrov"), ("O'Sullivan", "osullivan")],
)
def test_index_key_is_the_shared_fold_without_apostrophes(text: str, key: str) -> None:
    assert index_fold(text) == key
