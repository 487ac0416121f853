"""The Elasticsearch the project talks to (by default the devstack node on 127.0.0.1:9200) does what the
quote index needs: root info for ``client.info()``, the ``english`` analyzer, a lowercase+asciifolding
normalizer and analyzer, explicit mappings, bulk, match/term queries, aggregations, highlighting and
aliases. Every case holds on the official distribution too (only standard names and features).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch, helpers

from pipeline.index.client import make_client
from pipeline.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

FOLDING_ANALYSIS: dict[str, Any] = {
    "normalizer": {"folding": {"type": "custom", "filter": ["lowercase", "asciifolding"]}},
    "analyzer": {
        "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
    },
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "text": {"type": "text", "analyzer": "english"},
        "speaker": {
            "type": "text",
            "analyzer": "folded",
            "fields": {"keyword": {"type": "keyword", "normalizer": "folding"}},
        },
        "country": {"type": "keyword"},
        "published": {"type": "date"},
    },
}
DOCS: list[dict[str, Any]] = [
    {
        "_id": "1",
        "text": "The ministers were running late, but the statements arrived on time.",
        "speaker": "Volodymyr Zelenskyy",
        "country": "UA",
        "published": "2024-01-15",
    },
    {
        "_id": "2",
        "text": "We will keep negotiating until the talks succeed.",
        "speaker": "Sergéy Lavrov",
        "country": "RU",
        "published": "2024-01-20",
    },
    {
        "_id": "3",
        "text": "Exports of grain rose sharply this winter.",
        "speaker": "Zelenskyy",
        "country": "UA",
        "published": "2024-02-03",
    },
    {
        "_id": "4",
        "text": "The central bank kept its rate unchanged.",
        "speaker": "José Álvarez",
        "country": "ES",
        "published": "2024-03-11",
    },
]


@pytest.fixture(scope="module")
def es(devstack: Settings) -> Iterator[Elasticsearch]:
    client = make_client(devstack)
    yield client
    client.close()


@pytest.fixture(scope="module")
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"qw-esnode-test-{uuid.uuid4().hex[:8]}"
    es.indices.create(
        index=name,
        settings={"number_of_shards": 1, "number_of_replicas": 0, "analysis": FOLDING_ANALYSIS},
        mappings=MAPPINGS,
    )
    actions = [{"_index": name, "_id": d["_id"], **{k: v for k, v in d.items() if k != "_id"}} for d in DOCS]
    ok, errors = helpers.bulk(es, actions, refresh="wait_for")
    assert ok == len(DOCS) and not errors
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def _hit_ids(response: Any) -> set[str]:
    return {hit["_id"] for hit in response["hits"]["hits"]}


def _tokens(response: Any) -> list[str]:
    return [t["token"] for t in response["tokens"]]


# --- the node itself ------------------------------------------------------------------------------


def test_info_reports_an_elasticsearch_9_node(es: Elasticsearch) -> None:
    info = es.info()
    version = info["version"]
    assert version["number"].split(".")[0] == "9"
    assert version["build_flavor"] == "default"
    assert version["lucene_version"].split(".")[0] == "10"
    assert version["minimum_wire_compatibility_version"]
    assert info["cluster_uuid"] and info["cluster_uuid"] != "_na_"
    assert info["tagline"] == "You Know, for Search"
    # The client refuses any 2xx answer without this header: check it explicitly anyway.
    assert info.meta.headers.get("x-elastic-product") == "Elasticsearch"
    assert es.ping() is True


def test_cluster_health_is_yellow_or_green(es: Elasticsearch) -> None:
    assert es.cluster.health()["status"] in ("yellow", "green")


# --- analysis -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The running dogs", ["run", "dog"]),  # stop word removed, both stemmed
        ("statements", ["statement"]),
        ("Zelenskyy's", ["zelenskyi"]),  # possessive removed, lowercased, Porter y -> i
        ("negotiations", ["negoti"]),  # Porter stems aggressively
        ("ran", ["ran"]),  # irregular forms are not stemmed
        ("Sergéy", ["sergéi"]),  # the english analyzer lowercases but does not fold accents
    ],
)
def test_english_analyzer(es: Elasticsearch, text: str, expected: list[str]) -> None:
    assert _tokens(es.indices.analyze(analyzer="english", text=text)) == expected


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("speaker", "Sergéy ZELENSKYY", ["sergey", "zelenskyy"]),
        ("speaker", "José Álvarez", ["jose", "alvarez"]),
        ("speaker.keyword", "Sergéy ZELENSKYY", ["sergey zelenskyy"]),  # a normalizer keeps one token
        ("country", "UA", ["UA"]),  # a plain keyword is left exactly as given
        ("text", "The statements", ["statement"]),
    ],
)
def test_field_analysis_follows_the_mapping(
    es: Elasticsearch, index: str, field: str, text: str, expected: list[str]
) -> None:
    assert _tokens(es.indices.analyze(index=index, field=field, text=text)) == expected


@pytest.mark.parametrize(
    ("tokenizer", "filters", "text", "expected"),
    [
        ("standard", [], "Sergéy Lavrov", ["Sergéy", "Lavrov"]),  # no folding, no lowercasing
        ("standard", ["lowercase"], "Sergéy Lavrov", ["sergéy", "lavrov"]),
        ("standard", ["asciifolding"], "Sergéy Lavrov", ["Sergey", "Lavrov"]),
        ("keyword", ["lowercase", "asciifolding"], "Sergéy Lavrov", ["sergey lavrov"]),
        ("whitespace", [], "U.S.-led talks", ["U.S.-led", "talks"]),
    ],
)
def test_tokenizers_and_filters(
    es: Elasticsearch, tokenizer: str, filters: list[str], text: str, expected: list[str]
) -> None:
    assert _tokens(es.indices.analyze(tokenizer=tokenizer, filter=filters, text=text)) == expected


def test_standard_analyzer_does_not_fold_accents(es: Elasticsearch) -> None:
    assert _tokens(es.indices.analyze(analyzer="standard", text="Sergéy")) == ["sergéy"]


def test_asciifolding_filter_options(es: Elasticsearch) -> None:
    custom = {"type": "asciifolding", "preserve_original": True}
    folded = es.indices.analyze(tokenizer="standard", filter=["lowercase", custom], text="Sergéy")
    assert _tokens(folded) == ["sergey", "sergéy"]


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        ({}, "The running men", ["run", "men"]),
        ({"stopwords": "_none_"}, "The running men", ["the", "run", "men"]),
        ({"stopwords": ["men"]}, "The running men", ["the", "run"]),
        ({"stem_exclusion": ["running"]}, "The running men", ["running", "men"]),
    ],
)
def test_english_analyzer_options(
    es: Elasticsearch, options: dict[str, Any], text: str, expected: list[str]
) -> None:
    name = f"qw-esnode-en-{uuid.uuid4().hex[:8]}"
    analysis = {"analyzer": {"en": {"type": "english", **options}}}
    es.indices.create(index=name, settings={"number_of_replicas": 0, "analysis": analysis})
    try:
        assert _tokens(es.indices.analyze(index=name, analyzer="en", text=text)) == expected
    finally:
        es.indices.delete(index=name)


def test_unknown_analyzer_is_rejected(es: Elasticsearch) -> None:
    with pytest.raises(BadRequestError):
        es.indices.analyze(analyzer="no_such_analyzer", text="x")


# --- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"match": {"text": "run"}}, {"1"}),  # "running" was stemmed at index time
        ({"match": {"text": "statement"}}, {"1"}),
        ({"match": {"text": "negotiation"}}, {"2"}),
        ({"match": {"text": "the"}}, set()),  # stop word: matches nothing
        ({"term": {"speaker.keyword": "Zelenskyy"}}, {"3"}),
        ({"term": {"speaker.keyword": "zelenskyy"}}, {"3"}),  # the normalizer folds the query term too
        ({"term": {"speaker.keyword": "ZELENSKYY"}}, {"3"}),
        ({"term": {"speaker.keyword": "zelensky"}}, set()),  # a different spelling is not folded away
        ({"match": {"speaker": "zelenskyy"}}, {"1", "3"}),
        ({"match": {"speaker": "sergey"}}, {"2"}),  # "Sergéy" was folded at index time
        ({"match": {"speaker": "Sergéy"}}, {"2"}),
        ({"term": {"speaker.keyword": "jose alvarez"}}, {"4"}),
        ({"term": {"country": "ua"}}, set()),  # no normalizer on country: case matters
        ({"term": {"country": "UA"}}, {"1", "3"}),
        ({"range": {"published": {"gte": "2024-02-01"}}}, {"3", "4"}),
    ],
)
def test_queries(es: Elasticsearch, index: str, query: dict[str, Any], expected: set[str]) -> None:
    assert _hit_ids(es.search(index=index, query=query)) == expected


def test_terms_and_date_histogram_aggregations(es: Elasticsearch, index: str) -> None:
    response = es.search(
        index=index,
        size=0,
        aggs={
            "countries": {"terms": {"field": "country"}},
            "speakers": {"terms": {"field": "speaker.keyword"}},
            "per_month": {"date_histogram": {"field": "published", "calendar_interval": "month"}},
        },
    )
    aggs = response["aggregations"]
    assert {b["key"]: b["doc_count"] for b in aggs["countries"]["buckets"]} == {"UA": 2, "RU": 1, "ES": 1}
    # Buckets of a normalized keyword hold the normalized value.
    assert "sergey lavrov" in {b["key"] for b in aggs["speakers"]["buckets"]}
    months = {b["key_as_string"][:7]: b["doc_count"] for b in aggs["per_month"]["buckets"]}
    assert months == {"2024-01": 2, "2024-02": 1, "2024-03": 1}


def test_highlighting_marks_the_stemmed_match(es: Elasticsearch, index: str) -> None:
    response = es.search(
        index=index, query={"match": {"text": "statement"}}, highlight={"fields": {"text": {}}}
    )
    fragments = response["hits"]["hits"][0]["highlight"]["text"]
    assert any("<em>statements</em>" in f for f in fragments)


def test_aliases(es: Elasticsearch, index: str) -> None:
    alias = f"{index}-alias"
    es.indices.put_alias(index=index, name=alias, is_write_index=True)
    try:
        assert set(es.indices.get_alias(name=alias)) == {index}
        assert _hit_ids(es.search(index=alias, query={"term": {"country": "ES"}})) == {"4"}
        # Writes through the alias land in its write index.
        es.index(index=alias, id="5", document={"text": "x", "country": "FR"}, refresh="wait_for")
        assert es.get(index=index, id="5")["_source"]["country"] == "FR"
    finally:
        es.options(ignore_status=404).delete(index=index, id="5", refresh="wait_for")
        es.indices.delete_alias(index=index, name=alias)
    assert not es.indices.exists_alias(name=alias)


def test_bulk_reports_per_item_failures(es: Elasticsearch, index: str) -> None:
    # dynamic: strict -> a document with an unmapped field fails alone, the others are indexed.
    ops: list[dict[str, Any]] = [
        {"_index": index, "_id": "b1", "text": "fine", "country": "DE"},
        {"_index": index, "_id": "b2", "unmapped": "rejected"},
    ]
    try:
        ok, errors = helpers.bulk(es, ops, raise_on_error=False, refresh="wait_for")
        assert ok == 1
        assert isinstance(errors, list) and len(errors) == 1
        assert errors[0]["index"]["_id"] == "b2"
        assert errors[0]["index"]["error"]["type"] == "strict_dynamic_mapping_exception"
    finally:
        es.options(ignore_status=404).delete(index=index, id="b1", refresh="wait_for")


# --- the project's own index definitions ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted((PROJECT_ROOT / "config" / "index").glob("*.json")), ids=lambda p: p.name
)
def test_project_index_definitions_are_accepted(es: Elasticsearch, path: Path) -> None:
    body = json.loads(path.read_text())
    name = f"qw-esnode-def-{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])
    try:
        assert es.cluster.health(index=name, wait_for_status="yellow", timeout="30s")["status"] != "red"
        mapping = es.indices.get_mapping(index=name)[name]["mappings"]
        assert mapping["dynamic"] == "strict"
    finally:
        es.indices.delete(index=name)


# --- the devstack service class, on a node of its own -----------------------------------------


@pytest.mark.own_devstack
def test_node_lifecycle_on_its_own_port(tmp_path: Path, free_ports: Callable[..., int]) -> None:
    from pipeline.devstack.elastic_node import ES_VERSION, ElasticsearchNode
    from pipeline.devstack.service import pid_alive, port_in_use
    from pipeline.errors import DevstackError

    own_port = free_ports(0, 100)  # HTTP, and the first of its transport range
    settings = Settings(es_url=f"http://127.0.0.1:{own_port}", devstack_home=tmp_path / "home")
    node = ElasticsearchNode(settings)
    node.prepare()
    node.prepare()  # idempotent: cached classpath and classes
    assert not node.status().running
    node.start()
    try:
        node.wait_ready(180)
        first = node.status()
        assert first.running and first.pid is not None and pid_alive(first.pid)
        assert first.version == ES_VERSION
        assert first.java is not None and "Java 2" in first.java  # 21 or newer
        assert first.rss_bytes is not None and first.rss_bytes > 50 * 1024 * 1024
        assert "health green" in first.detail or "health yellow" in first.detail
        node.start()  # already running: a no-op, same process
        assert node.status().pid == first.pid
        with Elasticsearch(settings.es_url) as client:
            assert client.info()["version"]["number"] == ES_VERSION
        # A second service object on the same port but another home did not start this node:
        # it must refuse rather than start a competing JVM.
        other = ElasticsearchNode(Settings(es_url=settings.es_url, devstack_home=tmp_path / "other"))
        with pytest.raises(DevstackError, match=re.escape(f"port 127.0.0.1:{own_port} is taken")):
            other.start()
    finally:
        node.stop()
    assert not pid_alive(first.pid)
    assert not port_in_use("127.0.0.1", own_port)
    assert not node.status().running
    node.stop()  # stopping twice is harmless
