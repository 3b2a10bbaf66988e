package org.ckpt.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ckpt.store.ImageStore;
import org.ckpt.store.ImageStores;
import org.ckpt.store.StoreException;

/**
 * Images named by URI on the command line — {@code s3://BUCKET/KEY}, {@code file:///DIR/NAME},
 * or any scheme an {@code ImageStoreProvider} on the class path serves — and one command's
 * options for them ({@code --endpoint}, {@code --region}, {@code --profile}, {@code --chunked}).
 * A store, and with it the AWS SDK, is opened only when a URI is used: a command on local files
 * never loads it.
 */
final class Stores {
    /** No options: stores as the environment configures them. */
    static final Stores DEFAULT = new Stores(Map.of());

    private final Map<String, String> options;
    private ImageStores stores;

    private Stores(Map<String, String> options) {
        this.options = options;
    }

    /** Adds the options of images in object storage to a command: for reading, and with {@code writing} for writing. */
    static Spec options(Spec spec, boolean writing) {
        spec.option("URL", "For s3:// images: an S3-compatible server (MinIO, Ceph RGW, S3Proxy...) instead of AWS, "
                        + "e.g. http://127.0.0.1:9000, with path-style addressing. Default: AWS_ENDPOINT_URL_S3 or "
                        + "AWS_ENDPOINT_URL, else AWS.", "--endpoint")
                .option("REGION", "For s3:// images: the region. Default: AWS_REGION or the profile's; us-east-1 "
                        + "with --endpoint.", "--region")
                .option("NAME", "For s3:// images: take credentials (and region) from this profile of "
                        + "~/.aws/credentials and ~/.aws/config. Default: the AWS SDK's chain: AWS_ACCESS_KEY_ID and "
                        + "AWS_SECRET_ACCESS_KEY, the aws.accessKeyId and aws.secretAccessKey system properties, "
                        + "the profile AWS_PROFILE names or 'default', container and instance roles.", "--profile");
        if (writing) {
            spec.flag("With -o s3://...: store the pages as content-addressed chunks that the bucket's images "
                    + "share, each stored once (docs/FORMAT.md section 16). Reading such an image needs no option.",
                    "--chunked");
        }
        return spec;
    }

    /** The store options of a parsed command line; a malformed {@code --endpoint} is a usage error. */
    static Stores of(Spec.Parsed a) throws CliException {
        Map<String, String> o = new LinkedHashMap<>();
        String endpoint = a.string("--endpoint");
        if (endpoint != null) {
            URI u = null;
            try {
                u = new URI(endpoint);
            } catch (java.net.URISyntaxException e) {
                // reported below
            }
            if (u == null || u.getHost() == null
                    || !("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))) {
                throw CliException.usage("invalid value for option --endpoint: '" + endpoint
                        + "' (expected http://HOST[:PORT] or https://HOST[:PORT])");
            }
        }
        put(o, "endpoint", endpoint);
        put(o, "region", a.string("--region"));
        put(o, "profile", a.string("--profile"));
        if (a.has("--chunked")) {
            o.put("chunked", "true");
        }
        return o.isEmpty() ? DEFAULT : new Stores(o);
    }

    private static void put(Map<String, String> o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    /**
     * Whether a command-line argument names an image by URI: {@code SCHEME://...} with a scheme of
     * two or more characters, or {@code file:/...}. Anything else is a path ({@code ./s3://x} is
     * the file {@code x} in the directory {@code s3:}).
     */
    static boolean isUri(String arg) {
        int colon = arg.indexOf(':');
        if (colon < 2 || !Character.isLetter(arg.charAt(0))) {
            return false;
        }
        for (int i = 1; i < colon; i++) {
            char c = arg.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '+' && c != '-' && c != '.') {
                return false;
            }
        }
        return arg.startsWith("//", colon + 1) || (colon == 4 && arg.regionMatches(true, 0, "file:/", 0, 6));
    }

    /** Whether {@code arg} is a {@code file:} URI (written like a path, by the command's own atomic output). */
    static boolean isFileUri(String arg) {
        return isUri(arg) && arg.regionMatches(true, 0, "file:", 0, 5);
    }

    static URI uri(String arg) throws CliException {
        try {
            URI u = new URI(arg);
            if (u.getScheme() == null) {
                throw CliException.usage("not a URI: " + arg);
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw CliException.usage("not a valid URI: " + arg + " (" + e.getReason() + " at index " + e.getIndex() + ")");
        }
    }

    private ImageStores stores() {
        if (stores == null) {
            ImageStores.Builder b = ImageStores.builder().classLoader(Stores.class.getClassLoader());
            options.forEach(b::option);
            stores = b.build();
        }
        return stores;
    }

    /** The key {@code uri} names in its store; a store's own URI (ending in {@code /}) names no image. */
    String key(URI uri) throws CliException {
        String key;
        try {
            key = stores().key(uri);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (key.isEmpty()) {
            throw CliException.usage(uri + " names a store, not an image in it (add the image's key)");
        }
        return key;
    }

    /**
     * Opens the store that holds {@code uri}. A URI, an option or a configuration the store cannot
     * use (no provider for the scheme, a malformed endpoint, no region) is a usage error naming the URI.
     */
    ImageStore store(URI uri, String doing) throws CliException {
        try {
            return stores().store(uri);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("cannot " + doing + " " + uri + ": " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            // the store's own failure (an SDK that cannot be configured, say): one line, exit 2
            throw CliException.usage("cannot " + doing + " " + uri + ": " + reason(e));
        }
    }

    /**
     * Opens the image {@code arg} names for reading. Closing the channel closes the store. No image
     * under the key, or a store that fails, is a usage error (exit 2) naming the object; a chunked
     * image whose manifest header is damaged is an invalid image (exit 1).
     */
    ReadableByteChannel open(String arg) throws CliException {
        URI uri = uri(arg);
        String key = key(uri);
        ImageStore store = store(uri, "read");
        try {
            ReadableByteChannel ch = store.open(key);
            // a local store holds nothing: hand the restart the file itself
            return ch instanceof FileChannel ? ch : new Closing(ch, store);
        } catch (NoSuchFileException e) {
            close(store);
            throw CliException.usage("no such image: " + uri);
        } catch (org.ckpt.spi.ImageException e) {
            // A chunked image's manifest is parsed as it opens: damaged, it is an invalid image (exit 1)
            // like any other, found later by the reader.
            close(store);
            throw new CliException(Main.INVALID, "invalid image: " + uri + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            close(store);
            throw CliException.usage(e instanceof StoreException ? e.getMessage() : "cannot read " + uri + ": "
                    + reason(e));
        }
    }

    static String reason(Exception e) {
        String m = e.getMessage();
        return e instanceof IOException && m != null ? m : e.getClass().getSimpleName() + (m != null ? ": " + m : "");
    }

    static void close(ImageStore store) {
        try {
            store.close();
        } catch (IOException | RuntimeException e) {
            // nothing left to do with it
        }
    }

    /** A store's channel that closes the store with it. */
    private static final class Closing implements ReadableByteChannel {
        private final ReadableByteChannel in;
        private final ImageStore store;

        Closing(ReadableByteChannel in, ImageStore store) {
            this.in = in;
            this.store = store;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public boolean isOpen() {
            return in.isOpen();
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                store.close();
            }
        }
    }
}
