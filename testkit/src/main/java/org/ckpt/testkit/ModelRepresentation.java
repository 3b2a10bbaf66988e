package org.ckpt.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.presentation.StandardRepresentation;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;

/**
 * A way for AssertJ to print the task model in failure messages: a task as the fields that
 * differ from their defaults, its areas and descriptors in short, on one line of modest length,
 * instead of every field of every nested record; everything else as AssertJ's standard
 * representation prints it. Opt in per test class or run:
 * {@code Assertions.useRepresentation(new ModelRepresentation())}. (It is not registered for
 * AssertJ's ServiceLoader lookup, which announces every representation it finds on stdout.)
 *
 * @since 0.2 (evolving)
 */
public final class ModelRepresentation extends StandardRepresentation {
    @Override
    protected String fallbackToStringOf(Object o) {
        if (o instanceof Task t) {
            return task(t);
        }
        if (o instanceof AddressSpace mm) {
            return mm(mm);
        }
        if (o instanceof Vma v) {
            return ModelReportingFormat.vma(v);
        }
        if (o instanceof FileTable ft) {
            return table(ft);
        }
        if (o instanceof GenericFile f) {
            return ModelReportingFormat.file(f);
        }
        return super.fallbackToStringOf(o);
    }

    private static String task(Task t) {
        List<String> f = new ArrayList<>();
        f.add("pid=" + t.pid());
        if (t.tgid() != t.pid()) {
            f.add("tgid=" + t.tgid());
        }
        f.add("comm=\"" + t.comm() + "\"");
        if (t.state() != TaskState.RUNNING) {
            f.add("state=" + t.state());
        }
        if (t.exitState() != ExitState.NONE) {
            f.add("exitState=" + t.exitState());
        }
        if (t.exitCode() != 0) {
            f.add("exitCode=" + t.exitCode());
        }
        if (t.exitSignal() != 0) {
            f.add("exitSignal=" + t.exitSignal());
        }
        long[] counters = {t.utime(), t.stime(), t.utimescaled(), t.stimescaled(), t.gtime(), t.nvcsw(), t.nivcsw(),
            t.minFlt(), t.majFlt()};
        long nonZero = java.util.Arrays.stream(counters).filter(c -> c != 0).count();
        if (nonZero > 0 || !Duration.ZERO.equals(t.startTime()) || !Duration.ZERO.equals(t.realStartTime())) {
            f.add("accounting (" + nonZero + " counters non-zero)");
        }
        if (t.cpu() != null) {
            f.add("cpu=" + t.cpu().architecture());
        }
        if (t.mm() != null) {
            f.add("mm=" + mm(t.mm()));
        }
        if (t.files() != null) {
            f.add("files=" + table(t.files()));
        }
        if (!t.extensions().isEmpty()) {
            f.add("extensions=" + t.extensions().size());
        }
        if (!t.info().isEmpty()) {
            f.add("info=" + t.info().keySet());
        }
        return "Task{" + String.join(", ", f) + "}";
    }

    private static String mm(AddressSpace mm) {
        List<String> areas = new ArrayList<>();
        for (Vma v : mm.vmas()) {
            areas.add("[0x" + Long.toHexString(v.start()) + ", 0x" + Long.toHexString(v.end()) + ")");
        }
        return "AddressSpace{" + mm.vmas().size() + (mm.vmas().size() == 1 ? " area " : " areas ") + areas + "}";
    }

    private static String table(FileTable ft) {
        List<String> fds = new ArrayList<>();
        for (FileTable.Entry e : ft.entries()) {
            fds.add(String.valueOf(e.fd()));
        }
        return "FileTable{fds " + fds + "}";
    }
}
