"""The Faust app, built from ``Settings``. Building it connects to nothing; ``quotewire worker`` runs it.

* broker ``kafka://`` + ``settings.kafka_bootstrap``, with SASL/TLS credentials when configured;
* consumer group = the app id = ``settings.consumer_group`` (two workers with the same group share the
  raw topic's partitions);
* ``store="memory://"``: the app keeps no tables, so there is no local state to lose or recover;
* the web server on ``settings.worker_web_host``:``settings.worker_web_port`` (loopback by default)
  serves ``/metrics`` (Prometheus text format) and nothing of Faust's own: its router, table, graph,
  statistics and performance pages are off (they show host names, partitions and internals).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.kafka_clients import kafka_ssl_context
from pipeline.stream.metrics import PipelineMetrics

if TYPE_CHECKING:
    import faust

    from pipeline.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_WEB_PORT = 6066  # Faust's; only a placeholder when the web server is disabled

# Offsets of acked batches are committed this often (Faust's default is 2.8 s). Shorter means less
# re-work after a crash; the cost is one small commit request per interval.
COMMIT_INTERVAL_SECONDS = 1.0


# A crashed worker's partitions move to the others after this long without heartbeats (Faust's default
# is 60 s). Heartbeats come from the event loop, which enrichment never blocks (it runs in a process
# pool), so a short timeout does not cause spurious rebalances. Kafka's minimum is 6 s.
SESSION_TIMEOUT_SECONDS = 10.0


def broker_url(settings: Settings) -> str:
    servers = [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]
    return ";".join(f"kafka://{s}" for s in servers)


def broker_credentials(settings: Settings) -> Any:
    """Faust credentials matching ``pipeline.kafka_clients`` (None for PLAINTEXT)."""
    import faust

    context = kafka_ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        if settings.kafka_sasl_mechanism is None:
            raise ValueError(
                f"QUOTEWIRE_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
                "QUOTEWIRE_KAFKA_SASL_MECHANISM"
            )
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password,
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def make_app(
    settings: Settings,
    metrics: PipelineMetrics | None = None,
    web_port: int | None = None,
    until_idle: bool = False,
    on_fatal: Callable[[str], None] | None = None,
) -> faust.App:
    """The worker app with its agent and /metrics page registered; ``until_idle``: stop (cleanly) once
    the consumer group has committed everything on the raw topic."""
    import faust

    from pipeline.stream.agents import register_agents

    metrics = metrics or PipelineMetrics()
    port = settings.worker_web_port if web_port is None else web_port
    app = faust.App(
        settings.consumer_group,
        broker=broker_url(settings),
        broker_credentials=broker_credentials(settings),
        store="memory://",
        autodiscover=False,
        # Faust only keeps table files here (this app has none); keep it out of the working directory.
        datadir=str(Path(tempfile.gettempdir()) / f"quotewire-faust-{settings.consumer_group}"),
        # Port 0 = no web server (no /metrics): one-shot runs, several workers on one host for tests.
        web_enabled=port != 0,
        web_port=port or DEFAULT_WEB_PORT,
        # Loopback unless the deployment opens it (QUOTEWIRE_WORKER_WEB_HOST); web_host is also the name
        # Faust would advertise to other workers, which this app never asks for.
        web_bind=settings.worker_web_host,
        web_host=settings.worker_web_host,
        # Only our /metrics: Faust's pages describe the cluster to whoever asks (/router/ names hosts).
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        topic_partitions=settings.topic_partitions,
        # A new group starts at the beginning of the raw topic: articles sent before the first worker
        # started are still indexed.
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=COMMIT_INTERVAL_SECONDS,
        broker_session_timeout=SESSION_TIMEOUT_SECONDS,
        producer_acks=-1,
        # Wait for in-flight batches before a rebalance or shutdown commits (Faust's default, stated
        # because the no-loss guarantee depends on it).
        stream_wait_empty=True,
    )
    register_agents(app, settings, metrics, on_fatal)
    register_pages(app, metrics)
    register_progress(app, metrics)
    if until_idle:
        register_idle_exit(app, settings, metrics)
    return app


# How often `worker --until-idle` asks the broker whether everything is committed.
IDLE_CHECK_SECONDS = 2.0


def register_idle_exit(app: faust.App, settings: Settings, metrics: PipelineMetrics) -> None:
    """A one-shot run: once this worker holds partitions and the group's lag is 0, send ourselves
    SIGTERM - the same clean shutdown as an operator's (in-flight batch finished, offsets committed)."""
    import os
    import signal

    from pipeline.stream.topics import consumer_group_lag

    stopping: list[bool] = []

    @app.timer(IDLE_CHECK_SECONDS)  # type: ignore[misc]  # faust's decorators are untyped
    async def exit_when_idle() -> None:
        try:
            if not app.consumer.assignment():
                return
            lag = await consumer_group_lag(settings)
        except Exception as exc:  # the broker may be busy rebalancing: ask again next time
            log.debug("idle check failed: %r", exc)
            return
        # Every partition committed up to its end, and at least one batch seen or nothing to do.
        if lag.partitions and lag.total == 0 and not stopping:
            stopping.append(True)  # the timer may fire again while the worker shuts down
            log.info(
                "everything on %s is processed (%d articles read); stopping",
                settings.topic_raw,
                metrics.counters["articles_in"],
                extra={"event": "idle"},
            )
            os.kill(os.getpid(), signal.SIGTERM)


# How often the worker logs its progress line (only when something moved since the last one).
PROGRESS_SECONDS = 10.0


def register_progress(app: faust.App, metrics: PipelineMetrics, every: float = PROGRESS_SECONDS) -> None:
    """Every ``every`` seconds: articles/s, indexed and dead-lettered so far, this worker's lag."""
    import time

    from pipeline.stream.metrics import Progress, progress_report

    last = [Progress.of(metrics, None, time.monotonic())]

    @app.timer(every)  # type: ignore[misc]  # faust's decorators are untyped
    async def log_progress() -> None:
        now = Progress.of(metrics, consumer_lag(app), time.monotonic())
        report = progress_report(last[0], now)
        last[0] = now
        if report is not None:
            message, fields = report
            log.info("%s", message, extra={"event": "progress", **fields})


def consumer_lag(app: faust.App) -> dict[tuple[str, int], int]:
    """End offset - committed offset for each assigned partition, as this worker last saw them."""
    lag: dict[tuple[str, int], int] = {}
    try:
        consumer = app.consumer
        assignment = consumer.assignment()
    except Exception:  # consumer not started yet: no partitions, no lag to report
        return lag
    committed = dict(app.monitor.tp_committed_offsets or {})
    for tp in assignment:
        try:
            end = consumer.highwater(tp)
        except Exception:  # no fetch for this partition yet
            continue
        if end is None:
            continue
        done = committed.get(tp)
        if done is None:
            # Nothing committed by this worker yet: the group's offset read at assignment (Faust keeps
            # it in a private map); without it a restarted idle worker would report the whole topic.
            done = getattr(consumer, "_committed_offset", {}).get(tp)
        lag[(tp.topic, tp.partition)] = max(0, end - (done if done is not None else 0))
    return lag


def register_pages(app: faust.App, metrics: PipelineMetrics) -> None:
    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.text(metrics.render(consumer_lag(app)), content_type="text/plain; version=0.0.4")
