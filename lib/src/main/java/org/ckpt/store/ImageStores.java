package org.ckpt.store;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Finds the {@link ImageStore} of a URI: {@code file:} (built in, {@link LocalImageStore}),
 * {@code s3:} (with {@code ckpt-store-s3} on the class or module path), or any scheme an
 * {@link ImageStoreProvider} serves. Providers are discovered through {@link ServiceLoader}
 * once, on first use, from the builder's class loader or module layer; instances registered on
 * the builder replace discovered providers of their scheme. Immutable and thread-safe.
 *
 * <pre>{@code
 * ImageStores stores = ImageStores.builder().option("endpoint", "http://127.0.0.1:9000").build();
 * URI image = URI.create("s3://images/app/1.ckpt");
 * try (ImageStore store = stores.store(image)) {
 *     store.put(stores.key(image), out -> checkpointer.checkpoint(task, out));
 * }
 * }</pre>
 *
 * @since 0.2 (evolving)
 */
public final class ImageStores {
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:.*", Pattern.DOTALL);
    private static final int MAX_KEY_BYTES = 1024;

    private final ClassLoader classLoader;
    private final ModuleLayer moduleLayer;
    private final List<ImageStoreProvider> registered;
    private final Map<String, Object> env;
    private volatile Map<String, ImageStoreProvider> providers;

    private ImageStores(Builder b) {
        this.classLoader = b.classLoader != null ? b.classLoader : defaultLoader();
        this.moduleLayer = b.moduleLayer;
        this.registered = List.copyOf(b.registered);
        this.env = Map.copyOf(b.env);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens the store that holds the image {@code uri} names ({@code s3://bucket/app/1.ckpt}: the
     * bucket; {@code file:///srv/images/app.ckpt}: the directory {@code /srv/images}), or the store
     * a URI ending in {@code /} names. The caller closes it.
     *
     * @throws IllegalArgumentException if no provider serves the URI's scheme, or the URI is malformed
     */
    public ImageStore store(URI uri) throws IOException {
        return provider(uri).open(uri, env);
    }

    /** The key of the image {@code uri} names inside {@link #store store(uri)}; {@code ""} for a store's own URI. */
    public String key(URI uri) {
        return provider(uri).key(uri);
    }

    /** The schemes this instance can open, in order. */
    public List<String> schemes() {
        return List.copyOf(new TreeMap<>(providers()).keySet());
    }

    private ImageStoreProvider provider(URI uri) {
        Objects.requireNonNull(uri, "uri");
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("not an absolute URI (no scheme): " + uri);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        ImageStoreProvider p = providers().get(scheme);
        if (p == null) {
            throw new IllegalArgumentException("no image store for '" + scheme + ":' URIs (" + uri + "); known: "
                    + schemes() + (scheme.equals("s3") ? "; ckpt-store-s3 serves s3: URIs" : ""));
        }
        return p;
    }

    private Map<String, ImageStoreProvider> providers() {
        Map<String, ImageStoreProvider> p = providers;
        if (p == null) {
            p = new HashMap<>();
            Map<String, ImageStoreProvider> found = new HashMap<>();
            add(found, new LocalImageStore.Provider(), "built-in");
            ServiceLoader<ImageStoreProvider> loader = moduleLayer != null
                    ? ServiceLoader.load(moduleLayer, ImageStoreProvider.class)
                    : ServiceLoader.load(ImageStoreProvider.class, classLoader);
            Map<String, ImageStoreProvider> discovered = new HashMap<>();
            for (ImageStoreProvider d : loader) {
                add(discovered, d, "discovered");
            }
            found.putAll(discovered);
            Map<String, ImageStoreProvider> mine = new HashMap<>();
            for (ImageStoreProvider r : registered) {
                add(mine, r, "registered");
            }
            p.putAll(found);
            p.putAll(mine);
            providers = p;
        }
        return p;
    }

    private static void add(Map<String, ImageStoreProvider> into, ImageStoreProvider p, String origin) {
        String scheme = p.scheme();
        if (scheme == null || !scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw new ServiceConfigurationError("ImageStoreProvider " + p.getClass().getName()
                    + " has an invalid scheme '" + scheme + "' (lower case letters, digits, + . -)");
        }
        ImageStoreProvider prev = into.putIfAbsent(scheme, p);
        if (prev != null) {
            throw new ServiceConfigurationError("two " + origin + " ImageStoreProviders claim the scheme '" + scheme
                    + "': " + prev.getClass().getName() + " and " + p.getClass().getName());
        }
    }

    /**
     * A command-line argument as a URI: {@code s3://bucket/key} and other URIs as they are, anything
     * else (no {@code scheme:} prefix of two or more letters) as a local path.
     */
    public static URI toUri(String arg) {
        Objects.requireNonNull(arg, "arg");
        int colon = arg.indexOf(':');
        if (colon >= 2 && SCHEME.matcher(arg).matches()) {
            return URI.create(arg);
        }
        return Path.of(arg).toAbsolutePath().toUri();
    }

    /**
     * Checks the key rules every store follows, and returns {@code key}: 1 to 1024 UTF-8 bytes,
     * {@code /}-separated segments, none empty, {@code .} or {@code ..}; no leading {@code /}, no
     * NUL or other control character, no backslash.
     *
     * @throws IllegalArgumentException naming the key and the rule it breaks
     */
    public static String requireValidKey(String key) {
        Objects.requireNonNull(key, "key");
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("image key of " + bytes + " bytes; keys are 1 to " + MAX_KEY_BYTES
                    + " UTF-8 bytes: '" + key + "'");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new IllegalArgumentException("image key contains " + (c == '\\' ? "a backslash"
                        : String.format(Locale.ROOT, "the control character U+%04X", (int) c)) + ": '" + key + "'");
            }
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("image key has an empty, '.' or '..' segment (or a leading or "
                        + "trailing '/'): '" + key + "'");
            }
        }
        return key;
    }

    /** Checks a key prefix for {@link ImageStore#list}: empty, or a key's beginning (it may end in {@code /}). */
    public static String requireValidPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.isEmpty()) {
            requireValidKey(prefix.endsWith("/") ? prefix + "x" : prefix);
        }
        return prefix;
    }

    private static ClassLoader defaultLoader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : ImageStores.class.getClassLoader();
    }

    /** Configures an {@link ImageStores}. */
    public static final class Builder {
        private ClassLoader classLoader;
        private ModuleLayer moduleLayer;
        private final List<ImageStoreProvider> registered = new ArrayList<>();
        private final Map<String, Object> env = new HashMap<>();

        private Builder() {
        }

        /** Where providers are discovered; default the thread's context class loader. */
        public Builder classLoader(ClassLoader v) {
            classLoader = v;
            return this;
        }

        /** Discover providers in this module layer instead of a class loader. */
        public Builder moduleLayer(ModuleLayer v) {
            moduleLayer = v;
            return this;
        }

        /** Uses this provider (a configured one, too) for its scheme, replacing a discovered one. */
        public Builder register(ImageStoreProvider v) {
            registered.add(Objects.requireNonNull(v));
            return this;
        }

        /**
         * An option every store opened gets ({@link ImageStoreProvider#open}'s {@code env}), e.g.
         * {@code option("endpoint", "http://127.0.0.1:9000")} for S3. {@code null} removes it.
         */
        public Builder option(String name, Object value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                env.remove(name);
            } else {
                env.put(name, value);
            }
            return this;
        }

        public ImageStores build() {
            return new ImageStores(this);
        }
    }
}
