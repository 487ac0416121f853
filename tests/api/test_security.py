"""A public deployment: API keys, the per-client rate limit, security headers and CORS, against the
app over the real test index (the same fixtures as test_api)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.settings import Settings

pytestmark = pytest.mark.integration

KEY = "k-0123456789abcdef"  # two keys of 18 characters (the minimum is 16)
OTHER_KEY = "k-fedcba9876543210"
DATA_ROUTES = [
    ("/quotes", {"person": "Antonov"}),
    ("/speakers", {}),
    ("/people", {"prefix": "an"}),
    ("/countries", {}),
    ("/articles/000_6b86da6157363970", {}),
]
OPEN_ROUTES = ["/healthz", "/", "/static/app.js", "/static/app.css", "/docs", "/redoc", "/openapi.json"]


@contextmanager
def app_with(api_settings: Settings, **update: Any) -> Iterator[TestClient]:
    from pipeline.api.app import create_app

    with TestClient(create_app(api_settings.model_copy(update=update))) as client:
        yield client


@pytest.fixture(scope="module")
def keyed(api_settings: Settings) -> Iterator[TestClient]:
    with app_with(api_settings, api_keys=(SecretStr(KEY), SecretStr(OTHER_KEY))) as client:
        yield client


# --- API keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), DATA_ROUTES)
def test_data_routes_want_a_key(keyed: TestClient, path: str, params: dict[str, str]) -> None:
    missing = keyed.get(path, params=params)
    assert missing.status_code == 401
    assert missing.json()["detail"] == "an API key is required: send it in the X-API-Key header"
    wrong = keyed.get(path, params=params, headers={"X-API-Key": KEY[:-1] + "X"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "the API key is not valid"
    for key in (KEY, OTHER_KEY):
        assert keyed.get(path, params=params, headers={"X-API-Key": key}).status_code == 200


def test_a_request_without_key_learns_nothing_about_its_parameters(keyed: TestClient) -> None:
    assert keyed.get("/quotes", params={"limit": "ten", "persn": "x"}).status_code == 401
    assert keyed.get("/quotes", params={"limit": "ten"}, headers={"X-API-Key": KEY}).status_code == 422


@pytest.mark.parametrize("path", OPEN_ROUTES)
def test_health_page_and_docs_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_openapi_names_the_key_header(keyed: TestClient) -> None:
    schema = keyed.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Needed when the server sets QUOTEWIRE_API_KEYS; ignored otherwise.",
    }
    # Every route of the API but the health probe is keyed, routes added later included.
    keyed_paths = {path for path, item in schema["paths"].items() if "security" in item["get"]}
    assert keyed_paths == set(schema["paths"]) - {"/healthz"}
    assert {"/quotes", "/speakers", "/people", "/countries"} <= keyed_paths


def test_without_keys_the_api_is_open(api: TestClient) -> None:
    assert api.get("/quotes", params={"person": "Antonov"}).status_code == 200
    assert (
        api.get("/quotes", params={"person": "Antonov"}, headers={"X-API-Key": "anything"}).status_code == 200
    )


# --- rate limit ---------------------------------------------------------------------------------------


def test_rate_limit_per_client(api_settings: Settings) -> None:
    keys = (SecretStr(KEY), SecretStr(OTHER_KEY))
    with app_with(api_settings, api_rate_limit="3/minute", api_keys=keys) as client:
        first = {"X-API-Key": KEY}
        statuses = [client.get("/countries", headers=first).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/quotes", params={"person": "Antonov"}, headers=first)
        assert limited.status_code == 429  # one budget for every data route
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["x-ratelimit-limit"] == "3"
        assert limited.json()["detail"].startswith(
            "too many requests: the limit is 3 per 1 minute per client"
        )
        # Another client has its own budget; probes and the page are never limited.
        assert client.get("/countries", headers={"X-API-Key": OTHER_KEY}).status_code == 200
        assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
        assert client.get("/").status_code == 200
        # Wrong keys are refused before they are counted: they cannot spend a real client's budget.
        assert client.get("/countries", headers={"X-API-Key": "x" * 20}).status_code == 401


def test_rate_limit_by_address_without_keys(api_settings: Settings) -> None:
    with app_with(api_settings, api_rate_limit="2/minute") as client:
        statuses = [client.get("/countries").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # A key header changes nothing when the server has no keys: the address is the client.
        assert client.get("/countries", headers={"X-API-Key": KEY}).status_code == 429


def test_rate_limit_off(api_settings: Settings) -> None:
    with app_with(api_settings, api_rate_limit="off") as client:
        assert {client.get("/countries").status_code for _ in range(10)} == {200}


# --- security headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/", {}, 200),
        ("/static/app.js", {}, 200),
        ("/quotes", {"person": "Antonov"}, 200),
        ("/quotes", {"limit": "ten"}, 422),
        ("/articles/no-such-article", {}, 404),
        ("/healthz", {}, 200),
        ("/openapi.json", {}, 200),
        ("/no/such/path", {}, 404),
    ],
)
def test_security_headers_everywhere(api: TestClient, path: str, params: dict[str, str], status: int) -> None:
    response = api.get(path, params=params)
    assert response.status_code == status
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_get_their_inline_script_and_nothing_more(api: TestClient, path: str) -> None:
    policy = api.get(path).headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy


# --- CORS ---------------------------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/quotes",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )


def test_cors_is_off_by_default(api: TestClient) -> None:
    response = api.get("/quotes", params={"person": "Antonov"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in _preflight(api, "https://evil.example").headers


def test_cors_for_configured_origins_only(api_settings: Settings) -> None:
    with app_with(api_settings, api_cors_origins=("https://newsroom.example",)) as client:
        allowed = client.get("/countries", headers={"Origin": "https://newsroom.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://newsroom.example"
        preflight = _preflight(client, "https://newsroom.example")
        assert preflight.status_code == 200
        assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
        assert preflight.headers["access-control-allow-methods"] == "GET"
        other = client.get("/countries", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert _preflight(client, "https://evil.example").status_code == 400
