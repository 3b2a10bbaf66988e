package org.ckpt.internal;

import java.lang.ref.SoftReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ObjectOps;

/**
 * The providers a Checkpointer or Restarter uses: those one {@link ClassLoader} or
 * {@link ModuleLayer} offers through {@link ServiceLoader} (discovered once per loader or
 * layer and cached), overridden by instances a host registered on the builder. Two
 * providers of one origin claiming one type name, one Java class or one architecture is an
 * error naming both; a registered instance wins over a discovered provider of the same
 * name, class or architecture.
 */
public final class Registry {
    private static final Map<ClassLoader, SoftReference<Registry>> BY_LOADER = new WeakHashMap<>();
    private static final Map<ModuleLayer, SoftReference<Registry>> BY_LAYER = new WeakHashMap<>();

    private final Map<String, ObjectOps<?>> opsByName = new HashMap<>();
    private final Map<Class<?>, ObjectOps<?>> opsByClass = new HashMap<>();
    private final Map<Class<?>, ObjectOps<?>> resolved = new ConcurrentHashMap<>();
    private final Map<String, ArchProvider> archs = new HashMap<>();

    private Registry(Iterable<? extends ObjectOps<?>> ops, Iterable<? extends ArchProvider> providers, String origin) {
        for (ObjectOps<?> o : ops) {
            add(o, origin);
        }
        for (ArchProvider p : providers) {
            add(p, origin);
        }
    }

    private void add(ObjectOps<?> o, String origin) {
        if (o.typeName() == null || o.type() == null) {
            throw new ServiceConfigurationError("ObjectOps " + o.getClass().getName() + " has a null type name or class");
        }
        int nameBytes = o.typeName().getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > 255) {
            throw new ServiceConfigurationError("ObjectOps " + o.getClass().getName() + " has a type name of "
                    + nameBytes + " bytes; names are 1 to 255 UTF-8 bytes");
        }
        ObjectOps<?> prev = opsByName.putIfAbsent(o.typeName(), o);
        if (prev != null) {
            throw new ServiceConfigurationError("two " + origin + " ObjectOps claim the type name '" + o.typeName()
                    + "': " + prev.getClass().getName() + " and " + o.getClass().getName());
        }
        prev = opsByClass.putIfAbsent(o.type(), o);
        if (prev != null) {
            throw new ServiceConfigurationError("two " + origin + " ObjectOps claim the class " + o.type().getName()
                    + ": " + prev.getClass().getName() + " and " + o.getClass().getName());
        }
        Log.SYS.debug("{} ObjectOps '{}' for {} from {}", origin, o.typeName(), o.type().getName(),
                o.getClass().getName());
    }

    private void add(ArchProvider p, String origin) {
        for (String arch : p.architectures()) {
            ArchProvider prev = archs.putIfAbsent(arch, p);
            if (prev != null) {
                throw new ServiceConfigurationError("two " + origin + " ArchProviders claim the architecture '" + arch
                        + "': " + prev.getClass().getName() + " and " + p.getClass().getName());
            }
            Log.SYS.debug("{} ArchProvider for '{}' from {}", origin, arch, p.getClass().getName());
        }
    }

    /**
     * The providers {@code layer} (when not null) or {@code loader} offers, loaded on first use
     * and then shared by every builder that names the same loader or layer.
     */
    public static Registry discovered(ClassLoader loader, ModuleLayer layer) {
        synchronized (BY_LOADER) {
            SoftReference<Registry> ref = layer != null ? BY_LAYER.get(layer) : BY_LOADER.get(loader);
            Registry r = ref != null ? ref.get() : null;
            if (r == null) {
                r = load(loader, layer);
                if (layer != null) {
                    BY_LAYER.put(layer, new SoftReference<>(r));
                } else {
                    BY_LOADER.put(loader, new SoftReference<>(r));
                }
            }
            return r;
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Registry load(ClassLoader loader, ModuleLayer layer) {
        List<ObjectOps<?>> ops = new ArrayList<>();
        List<ArchProvider> providers = new ArrayList<>();
        ServiceLoader<ObjectOps> opsLoader = layer != null
                ? ServiceLoader.load(layer, ObjectOps.class) : ServiceLoader.load(ObjectOps.class, loader);
        for (ObjectOps o : opsLoader) {
            ops.add(o);
        }
        ServiceLoader<ArchProvider> archLoader = layer != null
                ? ServiceLoader.load(layer, ArchProvider.class) : ServiceLoader.load(ArchProvider.class, loader);
        for (ArchProvider p : archLoader) {
            providers.add(p);
        }
        // The library's own ops are part of it: present even where a host's loader or layer
        // cannot see the library's service registration.
        for (ObjectOps<?> builtIn : List.of(new AddressSpaceOps(), new FileTableOps(), new GenericFileOps())) {
            if (ops.stream().noneMatch(o -> o.getClass() == builtIn.getClass())) {
                ops.add(builtIn);
            }
        }
        return new Registry(ops, providers, "discovered");
    }

    /**
     * These registered instances over {@code discovered}: an instance replaces a discovered
     * provider of the same type name, class or architecture; two instances claiming one of
     * them is an error.
     */
    public static Registry withInstances(Registry discovered, List<? extends ObjectOps<?>> ops,
                                         List<? extends ArchProvider> providers) {
        if (ops.isEmpty() && providers.isEmpty()) {
            return discovered;
        }
        Registry own = new Registry(ops, providers, "registered");
        Registry merged = new Registry(List.of(), List.of(), "registered");
        merged.opsByName.putAll(own.opsByName);
        merged.opsByClass.putAll(own.opsByClass);
        merged.archs.putAll(own.archs);
        for (ObjectOps<?> o : discovered.opsByName.values()) {
            if (!own.opsByName.containsKey(o.typeName()) && !own.opsByClass.containsKey(o.type())) {
                merged.opsByName.put(o.typeName(), o);
                merged.opsByClass.put(o.type(), o);
            }
        }
        Set<ArchProvider> replaced = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Map.Entry<String, ArchProvider> e : discovered.archs.entrySet()) {
            if (own.archs.containsKey(e.getKey())) {
                replaced.add(e.getValue());
            }
        }
        for (Map.Entry<String, ArchProvider> e : discovered.archs.entrySet()) {
            // A discovered provider loses every architecture once an instance takes one of them:
            // mixing one provider's records with another's arch head would be a silent misread.
            if (!replaced.contains(e.getValue())) {
                merged.archs.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        return merged;
    }

    /** For tests and hosts that assemble providers by hand. */
    public static Registry of(List<ObjectOps<?>> ops, List<ArchProvider> providers) {
        return new Registry(ops, providers, "registered");
    }

    public ObjectOps<?> opsForName(String typeName) {
        return opsByName.get(typeName);
    }

    /** The ops for this class: its own, else the nearest superclass's, else an interface's. */
    public ObjectOps<?> opsForClass(Class<?> c) {
        ObjectOps<?> hit = resolved.get(c);
        if (hit != null) {
            return hit;
        }
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            ObjectOps<?> o = opsByClass.get(k);
            if (o != null) {
                resolved.put(c, o);
                return o;
            }
        }
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                ObjectOps<?> o = opsByClass.get(i);
                if (o != null) {
                    resolved.put(c, o);
                    return o;
                }
            }
        }
        return null;
    }

    public ArchProvider arch(String name) {
        return archs.get(name);
    }

    public Set<String> architectures() {
        // Sorted: the set is named in error messages, which should read the same on every run.
        return java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(archs.keySet()));
    }
}
