"""The one folding of names and words into lookup keys, shared by the NLP layer and the index.

``fold("Gérard  O\u2019Brien")`` -> ``"gerard o'brien"``: lower case; accents, ligatures and letters
NFKD does not decompose folded (``Łukasz`` -> ``lukasz``, ``Straße`` -> ``strasse``); Cyrillic
romanised (``Лавров`` -> ``lavrov``); every apostrophe written as ``'``; whitespace collapsed.

Users of a key add their own, stated steps on top: a person's surname key drops a possessive
(:func:`name_key`); the search index also drops apostrophes (``pipeline.index.names``).
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose into a base letter plus marks.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "\u0131": "i",
        "þ": "th",
        "ð": "d",
        "ħ": "h",
    }
)
# Russian/Ukrainian Cyrillic to Latin, BGN/PCGN-style (the romanisation wire copy mostly uses), so a
# name typed in Cyrillic meets its English spelling: "Лавров" -> lavrov, "Зеленский" -> zelenskiy.
# U+0430..U+044F in order; "-" = no letter (hard and soft signs).
_CYRILLIC_LATIN = (
    "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "-", "y", "-", "e", "yu", "ya",
)  # fmt: skip
_CYRILLIC = str.maketrans(
    {
        **{chr(0x430 + i): ("" if latin == "-" else latin) for i, latin in enumerate(_CYRILLIC_LATIN)},
        "\u0451": "e",  # yo
        "\u0456": "i",  # Ukrainian i
        "\u0457": "yi",  # Ukrainian yi
        "\u0454": "ye",  # Ukrainian ye
        "\u0491": "g",  # Ukrainian ghe with upturn
    }
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'", "\u00b4": "'"})
_WS = re.compile(r"\s+")
_POSSESSIVE_END = ("'s", "'")


def fold(text: str) -> str:
    """Lookup key: lower case, accents/ligatures/Cyrillic folded, apostrophes straight, spaces collapsed."""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():
        # lower first: the Cyrillic table is lower case; Cyrillic before NFKD, which would split "й"
        text = text.lower().translate(_SPECIAL_LETTERS).translate(_CYRILLIC)
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _WS.sub(" ", text).strip().lower()


def name_key(text: str) -> str:
    """A name word's key: ``fold`` without a possessive or edge punctuation ("Antonov's," -> "antonov")."""
    key = fold(text).strip(" .,")
    for end in _POSSESSIVE_END:
        if key.endswith(end) and len(key) > len(end):
            return key[: -len(end)].strip(" .,")
    return key
