"""`quotewire schema`: the JSON Schema of each contract on the topics; what the pipeline produces
validates against it, and what it refuses does not."""

from __future__ import annotations

import json

import jsonschema
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.ingest.decode import decode_article
from pipeline.models import Article, EnrichedArticle, Quote, Speaker


def _schema(contract: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["schema", contract])
    assert result.exit_code == 0, result.output
    schema: dict[str, object] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_all_contracts_named_by_their_header_value() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert {name: s["$id"] for name, s in schemas.items()} == {
        "article": "quotewire.article/1",
        "enriched-article": "quotewire.enriched-article/1",
        "rejected": "quotewire.rejected/1",
    }


def test_a_decoded_article_fits_the_article_schema() -> None:
    article = decode_article(
        json.dumps({"id": "a", "text": "The minister said so.", "published": "June 1, 2024"}).encode(), 1000
    )
    assert isinstance(article, Article)
    jsonschema.validate(json.loads(article.model_dump_json()), _schema("article"))


@pytest.mark.parametrize(
    "bad",
    [
        {"text": "no id"},
        {"id": "a"},
        {"id": "", "text": "x"},
        {"id": "a", "text": 5},
        {"id": "a", "text": "x", "warnings": "w"},
    ],
)
def test_what_the_contract_refuses_fails_the_schema(bad: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _schema("article"))


def test_an_enriched_article_fits_the_enriched_schema() -> None:
    enriched = EnrichedArticle(
        id="a",
        text='"Yes," Ann Lee said.',
        language="en",
        quotes=[
            Quote(
                text='"Yes,"', start=0, end=6, kind="direct", speaker=Speaker(name="Ann Lee", type="PERSON")
            )
        ],
    )
    jsonschema.validate(json.loads(enriched.model_dump_json()), _schema("enriched-article"))


def test_unknown_contract_is_a_usage_error() -> None:
    assert CliRunner().invoke(app, ["schema", "quotes"]).exit_code == 2
