"""A real Apache Kafka broker in KRaft mode, run from its Maven Central jars (no Docker, no tarball).

One JVM is both broker and controller on 127.0.0.1: the client listener is the host:port of
``settings.kafka_bootstrap`` (default 127.0.0.1:9092) and the controller listener is that port + 1
(default 9093). Everything lives in ``settings.devstack_home / "kafka"``:

    server.properties   generated from the settings on every start
    data/               the log directory, formatted once with StorageTool (cluster id inside)
    kafka.log           the broker's stdout/stderr (log4j2 console appender)
    kafka.pid           pid + kernel start time of the JVM that ``start`` launched
    run.json            JDK, Kafka version and start time, shown by ``status``

Topics are NOT auto-created (``auto.create.topics.enable=false``), as on most managed clusters: the
project creates its topics explicitly (``ensure_topics``, ``quotewire setup``, the worker), so a
forgotten topic fails here the way it would in production instead of appearing with one partition.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pipeline.devstack import maven
from pipeline.devstack.service import (
    JavaHome,
    PidFileService,
    find_java,
    is_local_host,
    port_in_use,
    split_host_port,
)
from pipeline.errors import DevstackError
from pipeline.settings import Settings

T = TypeVar("T")

# Newest 4.x on Maven Central when this was written; aiokafka 0.14 and Faust 0.15.3 tested against it.
KAFKA_VERSION = "4.4.0"
# Kafka's pom depends on slf4j-api 1.7 and log4j-core but ships no binding: this is the one its
# distribution puts in libs/, matched to the log4j-core version Kafka 4.4.0 resolves.
LOG4J_VERSION = "2.25.5"
KAFKA_COORDINATES = (
    f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION}",
    f"org.apache.logging.log4j:log4j-slf4j-impl:{LOG4J_VERSION}",
)
KAFKA_MIN_JAVA = 17  # Kafka 4 brokers need Java 17+
DEFAULT_PORT = 9092
NODE_ID = 1
# Heap for a one-node development broker: enough for the project's topics, small on a 2-core box.
JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true")
LOG4J2_CONFIG = Path(__file__).with_name("kafka-log4j2.xml")
STOP_GRACE_S = 30.0  # a clean shutdown flushes and closes the log segments; usually < 5 s


def controller_port(port: int) -> int:
    """The KRaft controller listens on the client port + 1 (9092 -> 9093)."""
    return port + 1


def new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def server_properties(host: str, port: int, data_dir: Path) -> str:
    """The broker's configuration (pure; exposed for tests)."""
    ctrl = controller_port(port)
    props = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        # Static quorum: the voter's address comes from this file at every start, so the controller
        # port can change without reformatting the data directory.
        "controller.quorum.voters": f"{NODE_ID}@{host}:{ctrl}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{ctrl}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        # One node: every internal topic can have only one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        # No other member will join: do not hold a new consumer group back for 3 s.
        "group.initial.rebalance.delay.ms": "0",
        # Development data: a week or 1 GiB per partition, whichever comes first.
        "log.retention.hours": "168",
        "log.retention.bytes": str(1024**3),
        "num.network.threads": "2",
        "num.io.threads": "4",
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


class KafkaBroker(PidFileService):
    """The devstack's Kafka service (implements ``pipeline.devstack.service.Service``)."""

    name = "kafka"
    version = KAFKA_VERSION
    stop_grace_s = STOP_GRACE_S

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host, self.port = split_host_port(settings.kafka_bootstrap, DEFAULT_PORT)
        self.controller_port = controller_port(self.port)
        # Absolute: the JVM runs with this folder as its working directory, and log.dirs must not
        # be read relative to it when QUOTEWIRE_DEVSTACK_HOME is a relative path.
        self.home = (settings.devstack_home / "kafka").resolve()
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"
        self.log_file = self.home / "kafka.log"
        self.pid_file = self.home / "kafka.pid"
        self.run_file = self.home / "run.json"
        self._java: JavaHome | None = None
        self._classpath: list[Path] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def _check_local(self) -> None:
        if not is_local_host(self.host):
            raise DevstackError(
                f"QUOTEWIRE_KAFKA_BOOTSTRAP={self.settings.kafka_bootstrap} is not on this machine: "
                "the devstack only runs Kafka on 127.0.0.1/localhost (an external cluster needs no devstack)"
            )

    def prepare(self) -> None:
        """Find Java 17+, resolve the jars, write the config and format the data dir (once)."""
        self._check_local()
        self._java = find_java(KAFKA_MIN_JAVA, "oldest", explicit=self.settings.devstack_kafka_java_home)
        self._classpath = maven.resolve_classpath(
            KAFKA_COORDINATES, self.settings.devstack_cache, name=f"kafka-{KAFKA_VERSION}"
        )
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(server_properties(self.host, self.port, self.data_dir))
        if not (self.data_dir / "meta.properties").is_file():
            self._format()

    def _java_argv(self, main: str, *args: str, jvm: Sequence[str] = ()) -> list[str]:
        assert self._java is not None and self._classpath is not None, "call prepare() first"
        return [
            str(self._java.java),
            *jvm,
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp",
            ":".join(map(str, self._classpath)),
            main,
            *args,
        ]

    def _format(self) -> None:
        import subprocess

        argv = self._java_argv(
            "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(self.config_file)
        )
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise DevstackError(f"formatting the Kafka data dir {self.data_dir} failed:\n{tail}")

    def start(self) -> None:
        if self.running_pid() is not None:
            return  # idempotent: a broker we started is already up
        self.check_ports_free(
            (self.port, self.controller_port),
            "QUOTEWIRE_KAFKA_BOOTSTRAP",
            needs=f"Kafka needs {self.port} and {self.controller_port}",
        )
        if self._java is None:
            self.prepare()
        assert self._java is not None
        self.launch(self._java_argv("kafka.Kafka", str(self.config_file), jvm=JVM_OPTIONS), self._java)

    def wait_ready(self, timeout: float) -> None:
        """Until the broker answers a metadata request (describe cluster) with itself as a broker."""
        self.wait_until_answers(
            lambda: port_in_use(self.host, self.port) and self.answers(),
            timeout,
            label="Kafka",
            not_ready="did not answer",
        )

    def answers(self, timeout: float = 5.0) -> bool:
        """True if the broker answers a metadata request listing at least one broker."""
        try:
            return _run_sync(asyncio.wait_for(_describe_cluster(self.settings), timeout)) > 0
        except Exception:  # any client error means "not ready (yet)"; wait_ready retries
            return False


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, also when called inside a running event loop
    (an async test or service calling ``answers``): then it runs on a private loop in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _describe_cluster(settings: Settings) -> int:
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.kafka_clients import kafka_client_kwargs

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings), request_timeout_ms=4000)
    await admin.start()
    try:
        info = await admin.describe_cluster()
        return len(info.get("brokers", []))
    finally:
        await admin.close()


async def ensure_topics(settings: Settings, topics: Sequence[tuple[str, int]]) -> list[str]:
    """Create each ``(name, partitions)`` topic that does not exist yet; returns the names created.

    Replication factor 1 (the devstack has one broker); an external cluster applies its own default
    when ``QUOTEWIRE_KAFKA_BOOTSTRAP`` points elsewhere (``replication_factor=-1``).
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from pipeline.kafka_clients import kafka_client_kwargs

    host, _ = split_host_port(settings.kafka_bootstrap, DEFAULT_PORT)
    replication = 1 if is_local_host(host) else -1
    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, p, replication) for n, p in topics if n not in existing]
        if missing:
            await admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        await admin.close()
