"""Titles, honorifics and role nouns from config/titles.yaml, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from pipeline.resources import config_files

TITLES_PATH = config_files() / "titles.yaml"


@dataclass(frozen=True)
class TitleLexicon:
    """Lower-cased word sets and the role-noun groups (phrase -> groups it belongs to)."""

    honorifics: frozenset[str]
    title_words: frozenset[str]
    connectors: frozenset[str]
    role_modifiers: frozenset[str]
    role_groups: dict[str, frozenset[str]]  # "ambassador" -> {"diplomat"}
    role_words: frozenset[str]  # every single word of every role phrase
    title_heads: frozenset[str]  # title words that can end a title ("minister", "sen.", "coach")
    org_words: frozenset[str]
    max_role_words: int

    def groups_of(self, text: str) -> frozenset[str]:
        """Groups of the longest role phrase in ``text`` ("the top US diplomat" -> {"diplomat"}).

        Longest phrase wins, rightmost on a tie (the head of an English noun phrase is on the right:
        "police spokesperson" is a spokesperson and police; "deputy foreign minister" outranks
        "minister"). Empty when no role noun is present.
        """
        words = [w.strip(".,;:'\"()").lower() for w in text.replace("'s ", " ").split()]
        words = [w for w in words if w]
        best: tuple[int, int] = (0, -1)
        found: frozenset[str] = frozenset()
        for i in range(len(words)):
            for j in range(min(len(words), i + self.max_role_words), i, -1):
                groups = self.role_groups.get(" ".join(words[i:j]))
                if groups is not None:
                    if (j - i, i) > best:
                        best, found = (j - i, i), groups
                    break
        return found

    def is_role_word(self, word: str) -> bool:
        low = word.lower()
        return low in self.role_words or low in self.role_modifiers or low in self.title_words


def _words(values: list[Any] | None) -> frozenset[str]:
    return frozenset(str(v).lower() for v in (values or []))


@lru_cache(maxsize=4)
def load_title_lexicon(path: Traversable = TITLES_PATH) -> TitleLexicon:
    """The title lexicon from ``path`` (config/titles.yaml by default), read once per process."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups: dict[str, set[str]] = {}
    for group, phrases in (data.get("role_nouns") or {}).items():
        for phrase in phrases:
            groups.setdefault(" ".join(str(phrase).lower().split()), set()).add(str(group))
    connectors = _words(data.get("title_connectors"))
    # "of" in "secretary of state" is not a role word: connectors only ever join role words.
    role_words = frozenset(w for phrase in groups for w in phrase.split()) - connectors
    return TitleLexicon(
        honorifics=_words(data.get("honorifics")),
        title_words=_words(data.get("title_words")) - connectors,
        connectors=connectors,
        role_modifiers=_words(data.get("role_modifiers")),
        role_groups={k: frozenset(v) for k, v in groups.items()},
        role_words=role_words,
        title_heads=_words(data.get("title_words"))
        - _words(data.get("title_modifiers"))
        - _words(data.get("role_modifiers"))
        - connectors,
        org_words=_words(data.get("org_words")),
        max_role_words=max((len(p.split()) for p in groups), default=1),
    )
