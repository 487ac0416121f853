"""The whole API fuzzed from its own OpenAPI schema (schemathesis, on hypothesis) against the real
Elasticsearch: ``quotewire serve`` on a free port over the test indices, every operation, positive
and negative cases (values the schema forbids too). No answer may be a 5xx, and every answer must
match what the schema documents for it (status code, content type, body).

Bounded: ``EXAMPLES`` cases per operation and no deadline per case (the machine is shared; a slow
answer is not a failure, a 5xx is). Run alone: ``pytest tests/api/test_fuzz.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

EXAMPLES = 60  # per operation; 7 operations, so several hundred requests (under a minute here)
# What the fuzzer asserts on every answer: never a server error, and the documented contract.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
SUMMARY = PROJECT_ROOT / "out" / "fuzz-summary.json"  # gitignored: cases and statuses of the last run
# (operation, status) of every answer of this run, for the summary and the vacuity check.
ANSWERS: Counter[tuple[str, int]] = Counter()


@pytest.fixture(scope="module")
def api_schema(
    serve: Any, quotewire_exe: str, cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("fuzz") / "serve.log"
    with serve(quotewire_exe, cli_env, log) as base:
        loaded = schemathesis.openapi.from_url(f"{base}/openapi.json")
        # Values the schema allows and values it forbids (wrong types, out of range, missing, extra),
        # NUL characters included.
        loaded.config.generation.update(
            modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
            allow_x00=True,
        )
        ANSWERS.clear()
        yield loaded
        _no_tracebacks(log)
    _summarise(set(loaded.raw_schema["paths"]))


def _summarise(paths: set[str]) -> None:
    """Write the run's figures and check that it actually ran: every operation, no 5xx."""
    operations = {operation for operation, _ in ANSWERS}
    statuses: Counter[int] = Counter()
    for (_, status), count in ANSWERS.items():
        statuses[status] += count
    summary = {
        "cases": sum(ANSWERS.values()),
        "operations": sorted(operations),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "server_errors": sum(n for code, n in statuses.items() if code >= 500),
    }
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    assert summary["server_errors"] == 0, summary
    assert operations == paths, summary  # every operation of the API's schema was fuzzed
    assert summary["cases"] >= EXAMPLES * len(paths) // 2, summary


def _no_tracebacks(log: Path) -> None:
    """A 5xx the fuzzer missed would still leave a traceback in the server's log."""
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text[-4000:]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    derandomize=True,  # the same cases every run: a failure here is reproducible, not a coin toss
)
def test_no_server_errors_and_answers_as_documented(case: Any) -> None:
    response = case.call(timeout=60)
    ANSWERS[(case.path, response.status_code)] += 1  # negative cases also try other methods
    case.validate_response(response, checks=CHECKS)


# --- hypothesis over the parameters people type, where the schema says only "string" ------------------

_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# The calendar's ends and the epoch with any offset: where Python's datetime arithmetic overflows.
_EDGES = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.sampled_from([datetime.min, datetime.max, datetime(1970, 1, 1)]),
    _OFFSETS,
)
_DATES = st.one_of(
    _EDGES,
    st.datetimes(timezones=st.none() | _OFFSETS).map(datetime.isoformat),  # years 1-9999, any offset
    st.dates().map(date.isoformat),
    st.integers().map(str),
    st.text(max_size=30),
)
_WORDS = st.text(max_size=120)  # any script, controls and NUL included
_PARAMETERS = st.fixed_dictionaries(
    {},
    optional={
        "person": _WORDS,
        "country": _WORDS,
        "text": _WORDS,
        "source": _WORDS,
        "since": _DATES,
        "until": _DATES,
        "kind": st.sampled_from(["direct", "mixed", "indirect", "", "x"]),
        "interval": st.sampled_from(["day", "week", "month", "year", "decade"]),
        "mentioned": st.sampled_from(["true", "false", "1", "maybe"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(["/quotes", "/speakers"]), params=_PARAMETERS)
def test_typed_filters_never_a_server_error(api: TestClient, path: str, params: dict[str, str]) -> None:
    response = api.get(path, params=params)
    assert response.status_code in (200, 422), (response.status_code, response.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(["/quotes", "/speakers"]), since=_DATES, until=_DATES)
def test_dates_never_a_server_error(api: TestClient, path: str, since: str, until: str) -> None:
    """Dates alone: the OverflowError of issue 8 lived at the calendar's ends, with an offset."""
    response = api.get(path, params={"since": since, "until": until})
    assert response.status_code in (200, 422), (response.status_code, response.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.text(min_size=1, max_size=100), article_id=st.text(min_size=1, max_size=200))
def test_prefixes_and_ids_never_a_server_error(api: TestClient, prefix: str, article_id: str) -> None:
    assert api.get("/people", params={"prefix": prefix}).status_code in (200, 422)
    assert api.get(f"/articles/{quote(article_id, safe='')}").status_code in (200, 404, 422)
