package org.ckpt.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ObjectOps;

/**
 * The providers one {@link ClassLoader} or {@link ModuleLayer} offers, loaded once.
 * Two providers claiming one type name, one Java class or one architecture is an
 * error naming both.
 */
public final class Registry {
    private final Map<String, ObjectOps<?>> opsByName = new HashMap<>();
    private final Map<Class<?>, ObjectOps<?>> opsByClass = new HashMap<>();
    private final Map<Class<?>, ObjectOps<?>> resolved = new ConcurrentHashMap<>();
    private final Map<String, ArchProvider> archs = new HashMap<>();

    private Registry(Iterable<ObjectOps<?>> ops, Iterable<ArchProvider> providers) {
        for (ObjectOps<?> o : ops) {
            int nameBytes = o.typeName().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (nameBytes == 0 || nameBytes > 255) {
                throw new ServiceConfigurationError("ObjectOps " + o.getClass().getName() + " has a type name of "
                        + nameBytes + " bytes; names are 1 to 255 UTF-8 bytes");
            }
            ObjectOps<?> prev = opsByName.putIfAbsent(o.typeName(), o);
            if (prev != null) {
                throw new ServiceConfigurationError("two ObjectOps claim the type name '" + o.typeName() + "': "
                        + prev.getClass().getName() + " and " + o.getClass().getName());
            }
            prev = opsByClass.putIfAbsent(o.type(), o);
            if (prev != null) {
                throw new ServiceConfigurationError("two ObjectOps claim the class " + o.type().getName() + ": "
                        + prev.getClass().getName() + " and " + o.getClass().getName());
            }
            Log.SYS.debug("ObjectOps '{}' for {} from {}", o.typeName(), o.type().getName(), o.getClass().getName());
        }
        for (ArchProvider p : providers) {
            for (String arch : p.architectures()) {
                ArchProvider prev = archs.putIfAbsent(arch, p);
                if (prev != null) {
                    throw new ServiceConfigurationError("two ArchProviders claim the architecture '" + arch + "': "
                            + prev.getClass().getName() + " and " + p.getClass().getName());
                }
                Log.SYS.debug("ArchProvider for '{}' from {}", arch, p.getClass().getName());
            }
        }
    }

    /** Loads from a module layer (module path hosts) or, when {@code layer} is null, a class loader. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Registry load(ClassLoader loader, ModuleLayer layer) {
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
        return new Registry(ops, providers);
    }

    /** Loads on first {@link #get()}, once, for the Checkpointer or Restarter that holds it. */
    public static final class Lazy {
        private final ClassLoader loader;
        private final ModuleLayer layer;
        private volatile Registry registry;

        public Lazy(ClassLoader loader, ModuleLayer layer) {
            this.loader = loader;
            this.layer = layer;
        }

        public Registry get() {
            Registry r = registry;
            if (r == null) {
                synchronized (this) {
                    r = registry;
                    if (r == null) {
                        r = load(loader, layer);
                        registry = r;
                    }
                }
            }
            return r;
        }
    }

    /** For tests and hosts that assemble providers by hand. */
    public static Registry of(List<ObjectOps<?>> ops, List<ArchProvider> providers) {
        return new Registry(ops, providers);
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

    public java.util.Set<String> architectures() {
        return java.util.Set.copyOf(archs.keySet());
    }
}
