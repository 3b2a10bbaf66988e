package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.reflect.ClassPath;
import com.google.common.testing.EqualsTester;
import com.google.common.testing.NullPointerTester;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.Test;

/**
 * The task model a host builds ({@code org.ckpt.model}) and the {@link Uname} it names its
 * machine with (guava-testlib): every public constructor and static factory refuses a null
 * argument with a NullPointerException at once — except the parameters the model documents as
 * nullable, listed here with where it says so — so that a host's mistake fails where it is
 * made, not later inside a checkpoint; value types are equal by value.
 */
class ModelApiTest {
    /** Parameters documented as nullable: declaring class, executable name, parameter index. */
    private static final Map<String, Set<Integer>> NULLABLE = Map.of(
            // Vma's @param file: "the backing file, or null for an anonymous area"
            "Vma.<init>", Set.of(5),
            // GenericFile's @param deletedContents: "for a deleted file its whole contents, else null"
            "GenericFile.<init>", Set.of(6),
            // Task's @param mm, files, cpu: "or null" (kernel threads; no file table; CPU not read);
            // extensions, info: "a null given is taken as empty"
            "Task.<init>", Set.of(18, 19, 20, 21, 22));

    private static NullPointerTester tester() {
        return new NullPointerTester()
                .setDefault(AddressSpace.class, AddressSpace.of(List.of()))
                .setDefault(FileTable.class, FileTable.of())
                .setDefault(PageData.class, PageData.of(0x1000, new byte[4096]))
                .setDefault(PageRanges.class, PageRanges.of(0x1000, 0x2000));
    }

    @Test
    void everyConstructorAndFactoryOfTheModelRefusesNullWhereItIsNotDocumented() throws Exception {
        NullPointerTester t = tester();
        List<String> failures = new ArrayList<>();
        List<Class<?>> types = new ArrayList<>(List.of(Uname.class));
        for (ClassPath.ClassInfo c : ClassPath.from(getClass().getClassLoader()).getTopLevelClasses("org.ckpt.model")) {
            types.add(c.load());
        }
        int checked = 0;
        for (Class<?> top : types) {
            List<Class<?>> all = new ArrayList<>(List.of(top));
            all.addAll(List.of(top.getDeclaredClasses()));
            for (Class<?> c : all) {
                if (!Modifier.isPublic(c.getModifiers())) {
                    continue;
                }
                for (Method m : c.getDeclaredMethods()) {
                    if (Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()) {
                        checked += check(failures, c, m, i -> t.testMethodParameter(null, m, i));
                    }
                }
                for (Constructor<?> k : c.getConstructors()) {
                    checked += check(failures, c, k, i -> t.testConstructorParameter(k, i));
                }
            }
        }
        assertThat(checked).as("parameters checked").isGreaterThanOrEqualTo(25);
        assertThat(failures).isEmpty();
    }

    private interface ParameterTest {
        void run(int index);
    }

    /** Runs {@code test} on each reference parameter of {@code e} not documented nullable; the count run. */
    private static int check(List<String> failures, Class<?> c, Executable e, ParameterTest test) {
        String key = c.getSimpleName() + "." + (e instanceof Constructor ? "<init>" : e.getName());
        Set<Integer> nullable = NULLABLE.getOrDefault(key, Set.of());
        int n = 0;
        for (int i = 0; i < e.getParameterCount(); i++) {
            if (e.getParameterTypes()[i].isPrimitive() || nullable.contains(i)) {
                continue;
            }
            n++;
            try {
                test.run(i);
            } catch (AssertionError err) {
                failures.add(key + " parameter " + i + ": " + err.getMessage());
            }
        }
        return n;
    }

    @Test
    void theDocumentedNullableParametersAreTheRecordsOwn() {
        // The exemptions above name real parameters of the type (a renamed or reordered record
        // must update them, not silently widen them).
        assertThat(Vma.class.getRecordComponents()[5].getName()).isEqualTo("file");
        assertThat(GenericFile.class.getRecordComponents()[6].getName()).isEqualTo("deletedContents");
        assertThat(Task.class.getRecordComponents()[18].getName()).isEqualTo("mm");
        assertThat(Task.class.getRecordComponents()[19].getName()).isEqualTo("files");
        assertThat(Task.class.getRecordComponents()[20].getName()).isEqualTo("cpu");
        assertThat(Task.class.getRecordComponents()[21].getName()).isEqualTo("extensions");
        assertThat(Task.class.getRecordComponents()[22].getName()).isEqualTo("info");
    }

    @Test
    void valueTypesAreEqualByValue() {
        new EqualsTester()
                .addEqualityGroup(PageRanges.of(0x1000, 0x3000),
                        PageRanges.builder().add(0x2000, 0x3000).add(0x1000, 0x2000).build())
                .addEqualityGroup(PageRanges.of(0x1000, 0x2000))
                .addEqualityGroup(PageRanges.none(), PageRanges.builder().build())
                .testEquals();
        new EqualsTester()
                .addEqualityGroup(new Uname("Linux", "h", "6.1", "#1", "x86_64"), new Uname("Linux", "h", "6.1", "#1",
                        "x86_64"))
                .addEqualityGroup(new Uname("Linux", "h", "6.1", "#1", "ppc64"))
                .testEquals();
        // PageData is a view of the host's memory, equal only to itself (comparing contents is
        // Equivalence's job, which reports where they differ): areas over one view are equal.
        PageData pages = PageData.of(0x1000, new byte[4096]);
        new EqualsTester()
                .addEqualityGroup(Vma.anonymous(0x1000, 0x2000, pages), Vma.anonymous(0x1000, 0x2000, pages))
                .addEqualityGroup(Vma.anonymous(0x1000, 0x3000, pages))
                .addEqualityGroup(Vma.anonymous(0x1000, 0x2000, PageData.of(0x1000, new byte[4096])))
                .testEquals();
    }
}
