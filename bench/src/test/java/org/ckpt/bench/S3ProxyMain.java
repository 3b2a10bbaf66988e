package org.ckpt.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * The S3 server of the S3 benchmark, as a child process: S3Proxy on 127.0.0.1 (a free port) with
 * its filesystem backend in the directory given, signature v4 with the benchmark's keys. Prints
 * {@code PORT n} when it listens and stops when its standard input closes.
 */
public final class S3ProxyMain {
    static final String ACCESS = "ckpt-bench-access";
    static final String SECRET = "ckpt-bench-secret";

    private S3ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        S3Proxy proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        System.out.println("PORT " + proxy.getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the parent to close our stdin (or die)
        }
        proxy.stop();
        System.exit(0);
    }
}
