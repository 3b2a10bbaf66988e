package org.ckpt.store.s3.internal;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.ckpt.store.ImageStore;
import org.ckpt.store.ImageStoreProvider;
import org.ckpt.store.s3.S3ImageStore;

/**
 * The {@code s3:} scheme: {@code s3://BUCKET/KEY}. Options ({@code ImageStores.Builder.option}):
 * {@code endpoint} (URI of an S3-compatible server), {@code region}, {@code profile},
 * {@code pathStyle}, {@code timeout} (ISO-8601 duration or seconds), {@code partSize} (bytes,
 * {@code k}/{@code m} suffixes), {@code concurrency}, {@code chunked}, {@code chunkPrefix}. The
 * endpoint also comes from {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} as the SDK
 * reads them; credentials come the SDK's way.
 */
public final class S3StoreProvider implements ImageStoreProvider {
    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public ImageStore open(URI uri, Map<String, ?> env) throws IOException {
        String bucket = uri.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("an s3 URI names a bucket: s3://BUCKET/KEY, not " + uri);
        }
        S3ImageStore.Builder b = S3ImageStore.builder(bucket);
        String v;
        if ((v = string(env, "endpoint")) != null) {
            b.endpoint(URI.create(v));
        }
        if ((v = string(env, "region")) != null) {
            b.region(v);
        }
        if ((v = string(env, "profile")) != null) {
            b.profile(v);
        }
        if ((v = string(env, "pathStyle")) != null) {
            b.pathStyle(Boolean.parseBoolean(v));
        }
        if ((v = string(env, "timeout")) != null) {
            b.timeout(v.startsWith("P") || v.startsWith("p") ? Duration.parse(v) : Duration.ofMillis(
                    Math.round(Double.parseDouble(v) * 1000)));
        }
        if ((v = string(env, "partSize")) != null) {
            b.partSize(Math.toIntExact(bytes(v)));
        }
        if ((v = string(env, "concurrency")) != null) {
            b.concurrency(Integer.parseInt(v));
        }
        if ((v = string(env, "chunked")) != null) {
            b.chunked(Boolean.parseBoolean(v));
        }
        if ((v = string(env, "chunkPrefix")) != null) {
            b.chunkPrefix(v);
        }
        return b.build();
    }

    @Override
    public String key(URI uri) {
        String path = uri.getPath();
        return path == null || path.length() <= 1 ? "" : path.substring(1);
    }

    private static String string(Map<String, ?> env, String name) {
        Object v = env.get(name);
        return v == null ? null : v.toString();
    }

    private static long bytes(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("k") || s.endsWith("m") || s.endsWith("g")) {
            unit = switch (s.charAt(s.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            s = s.substring(0, s.length() - 1);
        }
        return Long.parseLong(s) * unit;
    }
}
