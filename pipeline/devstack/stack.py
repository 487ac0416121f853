"""The local stack as a whole: Kafka and Elasticsearch brought up, checked and stopped together.

``up`` prepares every service first (JDKs, Maven resolution, compilation, formatting: the steps that
fail on a machine without Java or Maven) before starting any, then starts them all so the JVMs boot
concurrently, then waits for each to answer. Services already running are left as they are.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from dataclasses import dataclass

from pipeline.devstack.kafka_broker import KafkaBroker
from pipeline.devstack.service import Service, ServiceStatus
from pipeline.errors import DevstackError
from pipeline.settings import Settings

# Cold starts on a 2-core machine: Kafka ~5 s, Elasticsearch ~30 s; generous for a loaded box.
DEFAULT_READY_TIMEOUT_S = 240.0
ELASTIC_MODULE = "pipeline.devstack.elastic_node"


def elastic_node(settings: Settings) -> Service | None:
    """The Elasticsearch node service, or None while its module does not exist in this checkout."""
    try:
        module = importlib.import_module(ELASTIC_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ELASTIC_MODULE:
            raise
        return None
    node: Service = module.ElasticsearchNode(settings)
    return node


def services(settings: Settings) -> list[Service]:
    """The devstack's services in start order (stop order is the reverse)."""
    found: list[Service] = [KafkaBroker(settings)]
    node = elastic_node(settings)
    if node is not None:
        found.append(node)
    return found


@dataclass(frozen=True)
class UpReport:
    status: ServiceStatus
    already_running: bool
    prepare_seconds: float  # JDK lookup, Maven resolution (cold: downloads), compile, format
    start_seconds: float  # launch until it answers; 0 if it was already running


def up(settings: Settings, timeout: float = DEFAULT_READY_TIMEOUT_S) -> list[UpReport]:
    """Start every service that is not running and wait until all answer."""
    stack = services(settings)
    prepare_s: dict[str, float] = {}
    for service in stack:
        t0 = time.monotonic()
        service.prepare()
        prepare_s[service.name] = time.monotonic() - t0

    launched: dict[str, float] = {}
    already: set[str] = set()
    ready_s: dict[str, float] = {}
    try:
        for service in stack:
            if service.status().running:
                already.add(service.name)
                continue
            launched[service.name] = time.monotonic()
            service.start()
        for service in stack:
            service.wait_ready(timeout)
            if service.name in launched:
                ready_s[service.name] = time.monotonic() - launched[service.name]
    except DevstackError:
        # All or nothing: stop what this call launched (a port taken by a foreign process, a
        # service that never answered) so a failed `up` leaves no half stack; logs stay on disk.
        for service in stack:
            if service.name in launched:
                with contextlib.suppress(DevstackError):
                    service.stop()
        raise

    return [
        UpReport(
            status=service.status(),
            already_running=service.name in already,
            prepare_seconds=prepare_s[service.name],
            start_seconds=ready_s.get(service.name, 0.0),
        )
        for service in stack
    ]


def down(settings: Settings) -> list[tuple[str, int | None]]:
    """Stop what ``up`` started (found through pid files); returns (name, pid or None if not running)."""
    stopped: list[tuple[str, int | None]] = []
    errors: list[str] = []
    for service in reversed(services(settings)):
        pid = service.status().pid
        try:
            service.stop()
        except DevstackError as exc:  # stop the others anyway, then report
            errors.append(f"{service.name}: {exc}")
        stopped.append((service.name, pid))
    if errors:
        raise DevstackError("; ".join(errors))
    return stopped


def status(settings: Settings) -> list[ServiceStatus]:
    return [service.status() for service in services(settings)]
