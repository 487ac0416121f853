"""A real Elasticsearch 9 node, run from its Maven Central jars (no Docker, no distribution tarball).

Maven Central has the server (``org.elasticsearch:elasticsearch``) and the HTTP/transport layer
(``org.elasticsearch.plugin:transport-netty4``) but not the distribution's modules. The small Java
sources in ``java/`` (compiled here with the node's JDK) fill the gap:

- ``dev.quotewire.esnode.Launcher``: the ``main``; reads ``-E`` settings and ``config/``, starts the node;
- ``org.elasticsearch.node.QuotewireNode`` + ``org.elasticsearch.plugins.ClasspathPluginsService``: a node
  whose plugins are classes on the classpath (the seam the test framework's MockNode uses; internal
  API, hence the exact version pin);
- ``RootInfoPlugin``: ``GET /`` and ``HEAD /`` (``client.info()``, ``client.ping()``);
- ``FoldingAnalysisPlugin``: the ``english`` analyzer and the ``asciifolding`` / ``lowercase`` filters
  under their official names and options, so index settings work here and on the official build.

Everything lives in ``settings.devstack_home / "elasticsearch"``:

    config/elasticsearch.yml   generated from the settings on every start
    config/log4j2.properties   copied from java/config on every start
    data/  logs/  tmp/         the node's path.data, path.logs and java.io.tmpdir
    elasticsearch.log          the node's stdout/stderr (log4j2 console appender)
    elasticsearch.pid          pid + kernel start time of the JVM that ``start`` launched
    run.json                   JDK, version, ports and start time, shown by ``status``

Jars and compiled classes go to ``settings.devstack_cache`` (``m2/``, ``es-launcher-<version>-<hash>/``),
shared by every clone on the machine and rebuilt only when the sources or the version change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.devstack import maven
from pipeline.devstack.service import (
    JavaHome,
    PidFileService,
    find_java,
    is_local_host,
    split_host_port,
)
from pipeline.errors import DevstackError
from pipeline.settings import Settings
from pipeline.urls import redact_url

# The newest 9.x on Maven Central when this was written. The launcher uses internal APIs
# (NodeConstruction, NodeServiceProvider, PluginsService.LoadedPlugin) that change between minors:
# change this only together with a run of tests/integration/test_elasticsearch_node.py.
ES_VERSION = "9.5.3"
ES_COORDINATES = (
    f"org.elasticsearch:elasticsearch:{ES_VERSION}",
    f"org.elasticsearch.plugin:transport-netty4:{ES_VERSION}",
)
ES_MIN_JAVA = 21  # Elasticsearch 9 is compiled for Java 21
DEFAULT_PORT = 9200
# Transport (node-to-node) ports: the conventional offset from the HTTP port (9200 -> 9300), as a
# range so the node takes the first free one; nothing connects to it but the node itself.
TRANSPORT_OFFSET = 100
TRANSPORT_RANGE = 100
CLUSTER_NAME = "quotewire-devstack"
NODE_NAME = "quotewire-devstack-es"
JAVA_SOURCES = Path(__file__).with_name("java")
LOG4J2_TEMPLATE = JAVA_SOURCES / "config" / "log4j2.properties"
LAUNCHER_MAIN = "dev.quotewire.esnode.Launcher"
# A development node on a 2-core machine shared with Kafka, the worker and the tests: 1 GiB of heap
# holds the project's indices easily; the rest of the JVM flags follow the distribution's jvm.options.
JVM_OPTIONS = (
    "-Xms512m",
    "-Xmx1g",
    "-Xss1m",
    "-XX:+UseG1GC",
    # As the distribution's launcher does for G1: start concurrent cycles early, keep headroom, and cap
    # direct memory (Netty and Lucene buffers) at half the heap.
    "-XX:G1ReservePercent=25",
    "-XX:InitiatingHeapOccupancyPercent=30",
    "-XX:MaxDirectMemorySize=512m",
    "-XX:-OmitStackTraceInFastThrow",
    # A node out of heap is broken: exit (status shows it down) rather than limp on.
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djava.locale.providers=CLDR",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j2.formatMsgNoLookups=true",
    # No libvec.so outside the distribution: use the JDK Vector API instead of native SIMD code.
    "-Dorg.elasticsearch.nativeaccess.enableVectorLibrary=false",
    "--enable-native-access=ALL-UNNAMED",
    "--add-modules=jdk.incubator.vector",
)
COMPILE_TIMEOUT_S = 300.0
STOP_GRACE_S = 45.0  # the launcher's shutdown hook waits up to 20 s for the node to close
# Where the system zstd library may be; the node uses it for best_compression stored fields.
_ZSTD_CANDIDATES = (
    Path("/usr/lib/x86_64-linux-gnu/libzstd.so.1"),
    Path("/lib/x86_64-linux-gnu/libzstd.so.1"),
    Path("/usr/lib/aarch64-linux-gnu/libzstd.so.1"),
    Path("/usr/lib64/libzstd.so.1"),
)


# Health checks go straight to the local node, whatever HTTP(S)_PROXY the environment sets.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def transport_ports(http_port: int) -> str:
    """The transport port range for an HTTP port: 9200 -> ``"9300-9399"`` (pure)."""
    first = http_port + TRANSPORT_OFFSET
    return f"{first}-{first + TRANSPORT_RANGE - 1}"


def node_settings(host: str, http_port: int, home: Path) -> dict[str, object]:
    """The node's settings (pure; exposed for tests). ``home`` is the service folder."""
    return {
        "cluster.name": CLUSTER_NAME,
        "node.name": NODE_NAME,
        "path.data": str(home / "data"),
        "path.logs": str(home / "logs"),
        "network.host": host,
        "http.port": http_port,
        "transport.port": transport_ports(http_port),
        # One node that elects itself; no bootstrap checks, no discovery of other hosts.
        "discovery.type": "single-node",
        # A development node on a shared, often nearly full disk: never go read-only or refuse to
        # allocate shards because of disk watermarks.
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }


def render_yaml(values: dict[str, object]) -> str:
    """``key: value`` lines; values as JSON scalars, which YAML reads unchanged (pure)."""
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in values.items())


def sources_digest(sources_dir: Path, version: str) -> str:
    """A short hash of the Java sources and the Elasticsearch version: the compiled classes' key."""
    digest = hashlib.sha256(version.encode())
    for path in sorted(sources_dir.rglob("*.java")):
        digest.update(path.relative_to(sources_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Health:
    status: str  # green / yellow / red
    nodes: int


class ElasticsearchNode(PidFileService):
    """The devstack's Elasticsearch service (implements ``pipeline.devstack.service.Service``)."""

    name = "elasticsearch"
    version = ES_VERSION
    stop_grace_s = STOP_GRACE_S
    log_tail_lines = 25

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.es_url.rstrip("/")
        self.host, self.port = split_host_port(settings.es_url, DEFAULT_PORT)
        self.home = settings.devstack_home / "elasticsearch"
        self.config_dir = self.home / "config"
        self.log_file = self.home / "elasticsearch.log"
        self.pid_file = self.home / "elasticsearch.pid"
        self.run_file = self.home / "run.json"
        self._java: JavaHome | None = None
        self._classpath: list[Path] | None = None
        self._classes: Path | None = None

    @property
    def address(self) -> str:
        """The URL as printed (``devstack status``): without credentials."""
        return redact_url(self.url)

    # --- build ---------------------------------------------------------------------------------

    def _check_local(self) -> None:
        if not self.url.startswith("http://") or not is_local_host(self.host):
            raise DevstackError(
                f"QUOTEWIRE_ES_URL={redact_url(self.settings.es_url)} is not plain http on this machine: the "
                "devstack only runs Elasticsearch on http://127.0.0.1 or localhost "
                "(an external cluster needs no devstack)"
            )

    def prepare(self) -> None:
        """Find Java 21+, resolve the jars, compile the launcher (each step once, then cached)."""
        self._check_local()
        self._java = find_java(ES_MIN_JAVA, "newest", explicit=self.settings.devstack_es_java_home)
        self._classpath = maven.resolve_classpath(
            ES_COORDINATES, self.settings.devstack_cache, name=f"elasticsearch-{ES_VERSION}"
        )
        self._classes = self._compile(self._java, self._classpath)

    def _compile(self, java: JavaHome, classpath: list[Path]) -> Path:
        if not java.javac.is_file():
            raise DevstackError(f"{java.describe()} has no javac: the launcher is compiled with a JDK")
        key = sources_digest(JAVA_SOURCES, ES_VERSION)
        out = self.settings.devstack_cache / f"es-launcher-{ES_VERSION}-{key}"
        if (out / "COMPILED").is_file():
            return out
        sources = sorted(str(p) for p in JAVA_SOURCES.rglob("*.java"))
        tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        argv = [
            str(java.javac),
            "--release",
            str(ES_MIN_JAVA),
            "-nowarn",
            "-encoding",
            "UTF-8",
            "-d",
            str(tmp),
            "-cp",
            ":".join(map(str, classpath)),
            *sources,
        ]
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DevstackError(
                f"compiling the Elasticsearch launcher took over {COMPILE_TIMEOUT_S:.0f}s"
            ) from exc
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
            raise DevstackError(f"compiling the Elasticsearch launcher failed:\n{tail}")
        (tmp / "COMPILED").write_text(f"{ES_VERSION} {java.describe()}\n")
        try:
            tmp.rename(out)
        except OSError:  # another process compiled the same sources first: use its copy
            shutil.rmtree(tmp, ignore_errors=True)
            if not (out / "COMPILED").is_file():
                raise
        return out

    def _native_lib_dir(self) -> Path:
        """A folder with the system's libzstd under the name the node looks for.

        The distribution ships its own libzstd in lib/platform; without one the node logs a
        warning and runs without native methods (only the best_compression codec needs zstd).
        """
        lib_dir = self.settings.devstack_cache / "es-native"
        lib_dir.mkdir(parents=True, exist_ok=True)
        link = lib_dir / "libzstd.so"
        if not link.exists():
            found = next((p for p in _ZSTD_CANDIDATES if p.is_file()), None)
            if found is not None:
                link.unlink(missing_ok=True)  # a dangling link from an older system
                link.symlink_to(found)
        return lib_dir

    # --- lifecycle -----------------------------------------------------------------------------

    def _write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("data", "logs", "tmp"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        values = node_settings(self.host, self.port, self.home)
        (self.config_dir / "elasticsearch.yml").write_text(
            "# Generated by `quotewire devstack up` on every start; edit pipeline/devstack/elastic_node.py.\n"
            + render_yaml(values)
        )
        shutil.copyfile(LOG4J2_TEMPLATE, self.config_dir / "log4j2.properties")

    def argv(self) -> list[str]:
        """The node's command line (after ``prepare``)."""
        if self._java is None or self._classpath is None or self._classes is None:
            raise DevstackError("ElasticsearchNode.prepare() must run before start()")
        return [
            str(self._java.java),
            *JVM_OPTIONS,
            f"-Djava.io.tmpdir={self.home / 'tmp'}",
            f"-Des.path.home={self.home}",
            f"-Des.nativelibs.path={self._native_lib_dir()}",
            "-cp",
            ":".join([str(self._classes), *map(str, self._classpath)]),
            LAUNCHER_MAIN,
            f"-Epath.home={self.home}",
        ]

    def start(self) -> None:
        if self.running_pid() is not None:
            return  # idempotent: a node we started is already up
        self.check_ports_free((self.port,), "QUOTEWIRE_ES_URL")
        if self._java is None:
            self.prepare()
        assert self._java is not None
        self._write_config()
        self.launch(self.argv(), self._java, transport_ports=transport_ports(self.port))

    def wait_ready(self, timeout: float) -> None:
        """Until cluster health is yellow or green."""

        def healthy() -> bool:
            health = self.health()
            return health is not None and health.status in ("yellow", "green")

        self.wait_until_answers(healthy, timeout, label="Elasticsearch", not_ready="did not become ready")

    def health(self, timeout: float = 3.0) -> Health | None:
        """Cluster health from the node's HTTP port, or None if it does not answer (yet)."""
        try:
            with _DIRECT.open(f"{self.url}/_cluster/health", timeout=timeout) as response:
                body = json.loads(response.read())
        except (OSError, ValueError):  # refused, reset, timeout, 5xx while starting, bad JSON
            return None
        return Health(status=str(body.get("status", "")), nodes=int(body.get("number_of_nodes", 0)))

    def running_detail(self, run: Mapping[str, str]) -> str:
        health = self.health()
        parts = [f"started {run['started_at']}"] if "started_at" in run else []
        parts.append(f"health {health.status}" if health is not None else "not answering")
        if "transport_ports" in run:
            parts.append(f"transport {self.host}:{run['transport_ports']}")
        return ", ".join(parts)


__all__ = ["ES_VERSION", "ElasticsearchNode", "node_settings", "transport_ports"]
