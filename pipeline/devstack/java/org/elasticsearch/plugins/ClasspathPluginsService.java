/*
 * quotewire devstack: a PluginsService whose plugins are classes already on the JVM classpath.
 *
 * Lives in org.elasticsearch.plugins because PluginsService.LoadedPlugin, loadPlugin, loadExtensions
 * and createExtension are package-private (internal API of the pinned Elasticsearch version).
 */
package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        // No bundles on disk: the parent scans nothing, every plugin comes from pluginClasses.
        super(settings, environment.configDir(), new PluginsLoader(java.util.Set.of(), java.util.Set.of(), Map.of()));
        List<LoadedPlugin> result = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getSimpleName(),
                "quotewire devstack classpath plugin",
                Build.current().version(),
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false,
                PluginDescriptor.DeploymentTarget.ALL
            );
            result.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        loadExtensions(result);
        this.loaded = List.copyOf(result);
    }

    @Override
    protected final List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(loaded.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(), List.of());
    }

    /**
     * All plugins share the application class loader, so the parent's per-plugin SPI scan would find every
     * provider once per plugin. Scan once and instantiate each provider class once, choosing a plugin whose
     * type matches a one-argument constructor when the provider has one.
     */
    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        Map<Class<?>, T> providers = new LinkedHashMap<>();
        Iterator<Class<? extends T>> classes = SPIClassIterator.get(service, ClasspathPluginsService.class.getClassLoader());
        while (classes.hasNext()) {
            Class<? extends T> providerClass = classes.next();
            if (providers.containsKey(providerClass)) {
                continue;
            }
            Plugin owner = ownerFor(providerClass);
            if (owner != null) {
                providers.put(providerClass, createExtension(providerClass, service, owner));
            }
        }
        return List.copyOf(providers.values());
    }

    private Plugin ownerFor(Class<?> providerClass) {
        Constructor<?>[] constructors = providerClass.getConstructors();
        for (Constructor<?> constructor : constructors) {
            if (constructor.getParameterCount() == 1) {
                for (LoadedPlugin plugin : loaded) {
                    if (constructor.getParameterTypes()[0].isInstance(plugin.instance())) {
                        return plugin.instance();
                    }
                }
                return null; // its plugin is not loaded here
            }
        }
        return loaded.isEmpty() ? null : loaded.get(0).instance();
    }
}
