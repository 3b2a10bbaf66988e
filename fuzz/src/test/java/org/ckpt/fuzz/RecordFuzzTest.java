package org.ckpt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.ckpt.testkit.image.ImageRecords;

/**
 * One record reader at a time: the input's first byte picks a record of a valid base
 * image ({@link BaseImages}), the rest replaces that record's payload, and the image
 * is re-assembled with correct record checksums and tail. The fuzzer so spends its
 * time inside the reader of that record, not at the checksum gate.
 */
class RecordFuzzTest {
    static final List<BaseImages.Slot> TASK = BaseImages.slots(
            r -> r.type() == BaseImages.TASK || r.type() == BaseImages.HEAD, name -> true);
    static final List<BaseImages.Slot> ADDRESS_SPACE = BaseImages.slots(
            r -> BaseImages.isObject(r, "mm") || r.type() == BaseImages.VMA || r.type() == BaseImages.PAGES,
            name -> name.startsWith("test64") || name.endsWith("-exact"));
    static final List<BaseImages.Slot> FILE_TABLE = BaseImages.slots(
            r -> BaseImages.isObject(r, "files"), name -> true);
    static final List<BaseImages.Slot> OPEN_FILE = BaseImages.slots(
            r -> BaseImages.isObject(r, "file") || r.type() == BaseImages.OBJECT_DATA, name -> true);
    static final List<BaseImages.Slot> X86_CPU = BaseImages.slots(
            RecordFuzzTest::archRecord, name -> name.startsWith("x86") || name.startsWith("i386"));
    static final List<BaseImages.Slot> POWERPC_CPU = BaseImages.slots(
            RecordFuzzTest::archRecord, name -> name.startsWith("ppc"));

    private static boolean archRecord(ImageRecords.Record r) {
        return r.type() == BaseImages.ARCH_HEAD || (r.type() >= 0x0100 && r.type() <= 0x01FF);
    }

    /** TASK (identity, accounting, references, flags) and HEAD. */
    @FuzzTest(maxDuration = "10m")
    void task(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(TASK, input));
    }

    /** The mm OBJECT body, VMA and PAGES records of the test64 and the EXACT images. */
    @FuzzTest(maxDuration = "10m")
    void addressSpace(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(ADDRESS_SPACE, input));
    }

    /** The files OBJECT (descriptor table). */
    @FuzzTest(maxDuration = "10m")
    void fileTable(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(FILE_TABLE, input));
    }

    /** The file OBJECT and OBJECT_DATA (contents of deleted files). */
    @FuzzTest(maxDuration = "10m")
    void openFile(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(OPEN_FILE, input));
    }

    /** x86 ARCH_HEAD and CPU records of i386 and x86_64 images, EXACT ones included. */
    @FuzzTest(maxDuration = "10m")
    void x86Cpu(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(X86_CPU, input));
    }

    /** PowerPC ARCH_HEAD and CPU records of ppc32 and ppc64 images, EXACT ones included. */
    @FuzzTest(maxDuration = "10m")
    void powerPcCpu(byte[] input) throws Exception {
        Oracle.check(BaseImages.around(POWERPC_CPU, input));
    }
}
