"""docker-compose.yml is valid Compose, healthy by construction, and in step with the devstack and
the Settings.

``data/compose-spec.json`` is the Compose Specification's JSON schema, copied unchanged from
github.com/compose-spec/compose-spec (schema/compose-spec.json at 170098ba, Apache-2.0). Where a
Docker client with the compose plugin exists, ``docker compose config -q`` checks the file too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from pipeline.devstack.elastic_node import ES_VERSION
from pipeline.devstack.kafka_broker import KAFKA_VERSION
from pipeline.settings import PROJECT_ROOT, Settings

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("data") / "compose-spec.json"
INFRA = ("kafka", "elasticsearch")
APP = ("setup", "worker", "api")


def _validator() -> Any:
    # The schema declares draft-07 (by an https URL jsonschema does not map): name the draft here.
    return jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text()))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    _validator().validate(compose)


def test_the_schema_check_catches_a_broken_file(compose: dict[str, Any]) -> None:
    broken = {**compose, "services": {**compose["services"], "api": {"image": 42, "bogus_key": True}}}
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(broken)


def test_services_are_the_stack_and_the_app(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {*INFRA, *APP}


@pytest.mark.parametrize(
    ("service", "image"),
    [
        ("kafka", f"apache/kafka:{KAFKA_VERSION}"),
        ("elasticsearch", f"docker.elastic.co/elasticsearch/elasticsearch:{ES_VERSION}"),
    ],
)
def test_images_match_the_devstack_versions(compose: dict[str, Any], service: str, image: str) -> None:
    assert compose["services"][service]["image"] == image


@pytest.mark.parametrize("service", [*INFRA, "api"])
def test_long_running_services_have_health_checks(compose: dict[str, Any], service: str) -> None:
    check = compose["services"][service]["healthcheck"]
    assert check["test"] and check["retries"] >= 3


def test_api_health_check_asks_the_health_route(compose: dict[str, Any]) -> None:
    # /healthz answers 503 when Elasticsearch is unreachable, so the container turns unhealthy;
    # a static page such as /openapi.json would stay "healthy" with search down.
    from pipeline.api.routes import health_router as router  # probes need no API key

    command = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    asked = set(re.findall(r"http://[^/'\"\s]+(/[^'\"\s)]*)", command))
    health_routes = {getattr(r, "path", None) for r in router.routes if "health" in getattr(r, "tags", [])}
    assert asked == health_routes == {"/healthz"}


@pytest.mark.parametrize(
    ("service", "needs"),
    [
        ("setup", {"kafka": "service_healthy", "elasticsearch": "service_healthy"}),
        (
            "worker",
            {
                "kafka": "service_healthy",
                "elasticsearch": "service_healthy",
                "setup": "service_completed_successfully",
            },
        ),
        ("api", {"elasticsearch": "service_healthy", "setup": "service_completed_successfully"}),
    ],
)
def test_app_services_wait_for_what_they_use(
    compose: dict[str, Any], service: str, needs: dict[str, str]
) -> None:
    depends = compose["services"][service]["depends_on"]
    assert {name: spec["condition"] for name, spec in depends.items()} == needs


@pytest.mark.parametrize("service", APP)
def test_app_environment_names_real_settings_and_reaches_the_services(
    compose: dict[str, Any], service: str
) -> None:
    env: dict[str, str] = compose["services"][service]["environment"]
    fields = set(Settings.model_fields)
    unknown = [name for name in env if name.removeprefix("QUOTEWIRE_").lower() not in fields]
    assert unknown == []
    assert all(name.startswith("QUOTEWIRE_") for name in env)
    # Settings accepts the values, and they name compose services, not the host's loopback.
    settings = Settings.model_validate({k.removeprefix("QUOTEWIRE_").lower(): v for k, v in env.items()})
    assert settings.kafka_bootstrap.split(":")[0] == "kafka"
    kafka_listeners = compose["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"//{settings.kafka_bootstrap}" in kafka_listeners
    assert settings.es_url == "http://elasticsearch:9200"


@pytest.mark.parametrize(("service", "command"), [("worker", "worker"), ("api", "serve"), ("setup", "setup")])
def test_app_services_run_quotewire_commands(compose: dict[str, Any], service: str, command: str) -> None:
    argv = compose["services"][service]["command"]
    assert argv[:2] == ["quotewire", command]


def test_the_api_listens_on_all_interfaces_inside_its_container(compose: dict[str, Any]) -> None:
    argv = compose["services"]["api"]["command"]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"


def _compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False, timeout=30)
    return probe.returncode == 0


def test_docker_compose_config_accepts_the_file() -> None:
    if not _compose_plugin():
        pytest.skip("no `docker compose` here; the schema test above validates the file")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
