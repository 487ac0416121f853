"""Fixtures shared by the NLP unit tests: the real spaCy model and the country lexicon, loaded once."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.nlp.countries import CountryLexicon, load_country_lexicon
from pipeline.nlp.loader import load_nlp
from pipeline.settings import Settings


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The configured model as ``load_nlp`` gives it (test_quotes adds the paragraph-break step)."""
    return load_nlp(Settings().spacy_model)


@pytest.fixture(scope="session")
def lexicon() -> CountryLexicon:
    """The country lexicon from config/ (test_names overrides ``lexicon`` with its name lexicon)."""
    return load_country_lexicon()
