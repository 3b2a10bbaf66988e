package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.testing.EqualsTester;
import com.google.common.testing.NullPointerTester;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.contract.ArchProviderContract;
import org.ckpt.testkit.contract.ObjectOpsContract;
import org.ckpt.testkit.example.EmulatorDeviceOps;
import org.ckpt.testkit.image.Corruption;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.OpsProbe;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.RestartChecks;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/**
 * The testkit's public surface (guava-testlib): every public method and constructor refuses a
 * null argument with a NullPointerException at once, instead of failing later inside a
 * property with a message about something else; value records are equal by value.
 */
class TestkitApiTest {
    private static NullPointerTester tester() throws Exception {
        byte[] image = RejectionFixtures.image(RejectionFixtures.smallTask());
        return new NullPointerTester()
                .setDefault(Arbitrary.class, Arbitraries.just(1))
                .setDefault(GenConfig.class, GenConfig.DEFAULT)
                .setDefault(TargetCpu.class, TargetCpu.anyFeatures(TestArch.NAME))
                .setDefault(Restarter.class, Restarter.builder().build())
                .setDefault(Checkpointer.class, Checkpointer.builder().architecture(TestArch.NAME).build())
                .setDefault(ObjectOps.class, new EmulatorDeviceOps())
                .setDefault(HostDifference.class, HostDifference.fieldByField())
                .setDefault(ImageMap.class, ImageMap.of(image))
                .setDefault(ImageMap.Field.class, ImageMap.of(image).fields(0).get(0))
                .setDefault(ImageRecords.Record.class, ImageRecords.parse(image).get(0))
                .setDefault(byte[].class, image)
                .setDefault(Task.class, Task.builder().pid(1).comm("t").build());
    }

    @Test
    void everyPublicMethodRefusesNullArguments() throws Exception {
        NullPointerTester t = tester();
        List<String> failures = new ArrayList<>();
        for (Class<?> c : List.of(Generators.class, Equivalence.class, HostDifference.class, Corruption.class,
                ImageMap.class, ImageMutator.class, ImageRecords.class, RestartChecks.class, OpsProbe.class,
                TestChannels.class, ObjectOpsContract.class, ArchProviderContract.class)) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()) {
                    check(failures, () -> t.testMethod(null, m));
                }
            }
        }
        for (Object instance : List.of(GenConfig.DEFAULT, OpsProbe.of(new EmulatorDeviceOps()),
                ImageMap.of(RejectionFixtures.image(RejectionFixtures.smallTask())))) {
            for (Method m : instance.getClass().getDeclaredMethods()) {
                if (!Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()) {
                    check(failures, () -> t.testMethod(instance, m));
                }
            }
        }
        for (Class<?> c : List.of(RecordingTarget.class, ObjectOpsContract.FlagField.class,
                ArchProviderContract.FeatureField.class, Corruption.Damaged.class, ImageMap.Field.class,
                OpsProbe.FieldRead.class)) {
            for (Constructor<?> k : c.getConstructors()) {
                check(failures, () -> t.testConstructor(k));
            }
        }
        assertThat(failures).isEmpty();
    }

    private static void check(List<String> failures, Runnable test) {
        try {
            test.run();
        } catch (AssertionError e) {
            failures.add(e.getMessage());
        }
    }

    @Test
    void valueRecordsAreEqualByValue() {
        new EqualsTester()
                .addEqualityGroup(new ObjectOpsContract.FlagField("flags", 7), new ObjectOpsContract.FlagField("flags", 7))
                .addEqualityGroup(new ObjectOpsContract.FlagField("flags", 3))
                .addEqualityGroup(new ObjectOpsContract.FlagField("mode", 7))
                .testEquals();
        new EqualsTester()
                .addEqualityGroup(new ImageMap.Field(8, 4, "flags", "u32"), new ImageMap.Field(8, 4, "flags", "u32"))
                .addEqualityGroup(new ImageMap.Field(12, 4, "flags", "u32"))
                .testEquals();
        new EqualsTester()
                .addEqualityGroup(new OpsProbe.FieldRead("len", "u32", 8, 4, 3, "OBJECT"),
                        new OpsProbe.FieldRead("len", "u32", 8, 4, 3, "OBJECT"))
                .addEqualityGroup(new OpsProbe.FieldRead("len", "u32", 8, 4, 4, "OBJECT"))
                .testEquals();
    }
}
