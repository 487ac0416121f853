"""``quotewire schema [CONTRACT]``: the JSON Schema of the contracts on the topics, for other producers
and consumers (the raw topic's article, the enriched topic's enriched article, the dead-letter record).

Each schema's ``$id`` is the value of the ``contract`` header its messages carry.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any

import typer


class Contract(str, Enum):
    article = "article"
    enriched_article = "enriched-article"
    rejected = "rejected"
    all = "all"


def register(app: typer.Typer) -> None:
    app.command("schema")(schema_command)


def contract_schemas() -> dict[str, dict[str, Any]]:
    """Contract name -> its JSON Schema (draft 2020-12, as pydantic writes it)."""
    from pipeline.ingest.contracts import ARTICLE_CONTRACT, ENRICHED_CONTRACT, REJECTED_CONTRACT
    from pipeline.models import Article, EnrichedArticle, Rejected

    out: dict[str, dict[str, Any]] = {}
    for name, contract, model in (
        ("article", ARTICLE_CONTRACT, Article),
        ("enriched-article", ENRICHED_CONTRACT, EnrichedArticle),
        ("rejected", REJECTED_CONTRACT, Rejected),
    ):
        # Validation mode: what a producer may send (``body`` for ``text`` included).
        schema = model.model_json_schema(mode="validation" if name == "article" else "serialization")
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": contract,
            **schema,
        }
    return out


def schema_command(
    contract: Annotated[Contract, typer.Argument(help="Which contract's schema to print.")] = Contract.all,
) -> None:
    """Print the JSON Schema of the article, enriched-article and dead-letter contracts (JSON on stdout)."""
    schemas = contract_schemas()
    chosen: Any = schemas if contract is Contract.all else schemas[contract.value]
    typer.echo(json.dumps(chosen, indent=2, ensure_ascii=False))
