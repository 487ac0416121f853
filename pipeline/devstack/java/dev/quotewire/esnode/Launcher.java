package dev.quotewire.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.node.QuotewireNode;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch node in this JVM.
 *
 * <p>Usage: {@code Launcher -Epath.home=DIR [-Ekey=value ...]}. Settings also come from
 * {@code DIR/config/elasticsearch.yml} (command-line values win) and logging from
 * {@code DIR/config/log4j2.properties}. The process runs until SIGTERM/SIGINT, then closes the node.
 */
public final class Launcher {

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, RootInfoPlugin.class, FoldingAnalysisPlugin.class);
    // Long enough for a clean flush of a small devstack index; the caller's SIGKILL grace is longer.
    private static final long CLOSE_TIMEOUT_SECONDS = 20;

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            if (arg.startsWith("-E") == false || arg.indexOf('=') < 3) {
                System.err.println("usage: Launcher -Epath.home=DIR [-Ekey=value ...]; bad argument: " + arg);
                System.exit(2);
            }
            int eq = arg.indexOf('=');
            builder.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        Settings input = builder.build();
        String home = input.get("path.home");
        if (home == null) {
            System.err.println("path.home is required (-Epath.home=DIR)");
            System.exit(2);
        }
        Path configDir = Path.of(home).resolve("config");
        Files.createDirectories(configDir);

        LogConfigurator.registerErrorListener();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(input, Map.of(), configDir, () -> "quotewire-es");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.setClusterName(environment.settings().get("cluster.name", "elasticsearch"));
        LogConfigurator.configure(environment, true);

        Node node = new QuotewireNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "quotewire-es-shutdown"));
        try {
            node.start();
        } catch (Exception e) {
            // e.g. the HTTP port is taken: exit at once (non-daemon node threads would keep the JVM alive)
            // so the devstack reports the failure instead of waiting for a node that will never answer.
            System.err.println("quotewire-es: the node failed to start: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        // Node threads are daemons in places; keep one non-daemon thread until shutdown.
        Thread keepAlive = new Thread(() -> {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "quotewire-es-keepalive");
        keepAlive.setDaemon(false);
        keepAlive.start();
    }
}
