package org.ckpt.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** Wall time per phase of one command, for {@code --json} summaries and the benchmark. */
final class Phases {
    private final Map<String, Double> ms = new LinkedHashMap<>();
    private long last = System.nanoTime();

    /** Ends the current phase under {@code name}. */
    void end(String name) {
        long now = System.nanoTime();
        ms.merge(name, Math.round((now - last) / 1e3) / 1e3, Double::sum);
        last = now;
    }

    Map<String, Double> millis() {
        return ms;
    }
}
