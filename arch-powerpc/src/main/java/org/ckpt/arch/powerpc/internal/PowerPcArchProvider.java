package org.ckpt.arch.powerpc.internal;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.ckpt.arch.powerpc.AltivecRegs;
import org.ckpt.arch.powerpc.FpRegs;
import org.ckpt.arch.powerpc.GeneralRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcArchHead;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcDebugRegs;
import org.ckpt.arch.powerpc.SpeRegs;
import org.ckpt.arch.powerpc.Vector128;
import org.ckpt.arch.powerpc.VsxRegs;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;

/**
 * The {@link ArchProvider} of {@code ppc32} and {@code ppc64}. Stateless; the writer
 * and reader of each record sit together below, over {@link Layout}.
 *
 * <p>Restart is check-then-commit as the 2009 port's {@code update=false} pass was:
 * {@link #restoreCpu} rejects what is malformed whatever the target and policy (sizes,
 * reserved fields, unknown or impossible feature bits, unknown debug registers);
 * {@link #check} — which a checkpoint runs too, before it writes anything — rejects what the
 * target cannot run (bitness, missing features) and what the policy forbids ({@link Rules}),
 * and returns the state as committed: unchanged under {@code EXACT}, with the MSR rebuilt
 * under {@code LINUX_USER}.
 */
public final class PowerPcArchProvider implements ArchProvider {
    private static final Set<Integer> RECORD_TYPES = Set.of(Layout.PPC_REGS, Layout.PPC_FP, Layout.PPC_DEBUG,
            Layout.PPC_ALTIVEC, Layout.PPC_SPE, Layout.PPC_VSX);

    public PowerPcArchProvider() {
    }

    @Override
    public Set<String> architectures() {
        return Set.of(PowerPc.PPC32, PowerPc.PPC64);
    }

    /**
     * The types this version writes, 0x0120–0x0125. The rest of the PowerPC range,
     * 0x0126–0x013F, is reserved and deliberately not declared, so that an optional record
     * a later version adds there is skipped by this reader rather than taken as misplaced.
     */
    @Override
    public Set<Integer> recordTypes() {
        return RECORD_TYPES;
    }

    @Override
    public long addressLimit(String architecture, RestorePolicy policy) {
        if (policy == RestorePolicy.EXACT) {
            return PowerPc.PPC64.equals(architecture) ? -1L : 1L << 32;
        }
        return PowerPc.userAddressLimit(architecture);
    }

    // ---- arch head ----------------------------------------------------------------

    @Override
    public ArchHead archHead(String architecture) {
        requireArchitecture(architecture);
        return Layout.head(architecture);
    }

    @Override
    public void writeArchHead(ArchHead head, PayloadWriter out) throws IOException {
        if (!(head instanceof PowerPcArchHead h)) {
            throw new CheckpointException("not a PowerPC arch head: " + head.getClass().getName());
        }
        out.u8(h.memoryByteOrder() == ByteOrder.BIG_ENDIAN ? Layout.BYTE_ORDER_BIG : Layout.BYTE_ORDER_LITTLE)
                .u8(h.wordSize())
                .u16(0)
                .u32(h.regsSize())
                .u64(h.features())
                .u32(h.fpSize())
                .u32(h.debugSize())
                .u32(h.debugEntrySize())
                .u32(h.altivecSize())
                .u32(h.speSize())
                .u32(h.vsxSize());
    }

    @Override
    public ArchHead readArchHead(String architecture, PayloadReader in) throws IOException {
        if (!PowerPc.isArchitecture(architecture)) {
            throw new UnsupportedImageException(in.recordName(), in.position(),
                    "architecture '" + architecture + "' is not ppc32 or ppc64");
        }
        PowerPcArchHead expected = Layout.head(architecture);
        long at = in.position();
        int order = in.u8("byte_order");
        if (order == Layout.BYTE_ORDER_LITTLE) {
            throw new UnsupportedImageException(in.recordName(), at, "byte_order = 2 (little-endian task memory, "
                    + "ppc64le) is defined by the format but not supported by this reader");
        }
        if (order != Layout.BYTE_ORDER_BIG) {
            throw new InvalidImageException(in.recordName(), at,
                    "byte_order = 0x" + Integer.toHexString(order) + ": must be 1 (big-endian) or 2 (little-endian)");
        }
        at = in.position();
        int wordSize = in.u8("word_size");
        if (wordSize != expected.wordSize()) {
            throw new InvalidImageException(in.recordName(), at, "word_size = " + wordSize + " in a " + architecture
                    + " image: must be " + expected.wordSize());
        }
        at = in.position();
        int reserved = in.u16("reserved");
        if (reserved != 0) {
            throw new InvalidImageException(in.recordName(), at,
                    "reserved = 0x" + Integer.toHexString(reserved) + ": must be zero");
        }
        int regsSize = headSize(in, "regs_size", expected.regsSize());
        at = in.position();
        long features = in.u64("features");
        requireKnownFeatures(in, at, features, "");
        long impossible = features & ~expected.features();
        if (impossible != 0) {
            throw new InvalidImageException(in.recordName(), at, "features = 0x" + Long.toHexString(features)
                    + " includes " + PowerPc.featureNames(impossible) + ", which a " + architecture
                    + " task cannot have");
        }
        int fp = headSize(in, "fp_size", (features & PowerPc.FEATURE_FP) != 0 ? Layout.FP_SIZE : 0);
        int debug = headSize(in, "debug_size", (features & PowerPc.FEATURE_DEBUG) != 0 ? Layout.DEBUG_SIZE : 0);
        int debugEntry = headSize(in, "debug_entry_size",
                (features & PowerPc.FEATURE_DEBUG) != 0 ? Layout.DEBUG_ENTRY_SIZE : 0);
        int altivec = headSize(in, "altivec_size",
                (features & PowerPc.FEATURE_ALTIVEC) != 0 ? Layout.ALTIVEC_SIZE : 0);
        int spe = headSize(in, "spe_size", (features & PowerPc.FEATURE_SPE) != 0 ? Layout.SPE_SIZE : 0);
        int vsx = headSize(in, "vsx_size", (features & PowerPc.FEATURE_VSX) != 0 ? Layout.VSX_SIZE : 0);
        return new PowerPcArchHead(architecture, ByteOrder.BIG_ENDIAN, wordSize, features, regsSize, fp, debug,
                debugEntry, altivec, spe, vsx);
    }

    private static int headSize(PayloadReader in, String field, int expected) throws ImageException {
        long at = in.position();
        long v = in.u32(field);
        if (v != expected) {
            throw new InvalidImageException(in.recordName(), at, field + " = " + v + ": this reader expects "
                    + expected + (expected == 0 ? " (the section is not in the feature mask)" : "")
                    + "; a size it does not expect is an error, not a guess");
        }
        return expected;
    }

    // ---- CPU records --------------------------------------------------------------

    @Override
    public void checkpointCpu(CpuState state, CkptContext ctx) throws IOException {
        if (!(state instanceof PowerPcCpuState c)) {
            throw new CheckpointException("not a PowerPcCpuState: " + state.getClass().getName());
        }
        if (!c.architecture().equals(ctx.architecture())) {
            throw new CheckpointException("CPU state of architecture '" + c.architecture() + "' in a "
                    + ctx.architecture() + " image");
        }
        PowerPcArchHead head = (PowerPcArchHead) ctx.archHead();
        long outside = c.features() & ~head.features();
        if (outside != 0) {
            throw new CheckpointException("the task uses " + PowerPc.featureNames(outside)
                    + ", which the arch head of this image excludes");
        }
        // The policy's rules ran before the image was begun (check, called by the checkpoint).
        RecordOutput out = ctx.output();
        writeRegs(c, out.begin(Layout.PPC_REGS));
        if (c.fp() != null) {
            writeFp(c.fp(), out.begin(Layout.PPC_FP));
        }
        if (c.debug() != null) {
            writeDebug(c.debug(), out.begin(Layout.PPC_DEBUG));
        }
        if (c.altivec() != null) {
            writeAltivec(c.altivec(), out.begin(Layout.PPC_ALTIVEC));
        }
        if (c.spe() != null) {
            writeSpe(c.spe(), out.begin(Layout.PPC_SPE));
        }
        if (c.vsx() != null) {
            writeVsx(c.vsx(), out.begin(Layout.PPC_VSX));
        }
    }

    @Override
    public CpuState restoreCpu(CkptContext ctx) throws IOException {
        PowerPcArchHead head = (PowerPcArchHead) ctx.archHead();
        PayloadReader r = ctx.input().next(Layout.PPC_REGS);
        long features = readFeatures(r, head, ctx.architecture());
        GeneralRegs regs = readRegs(r);
        FpRegs fp = null;
        PowerPcDebugRegs debug = null;
        AltivecRegs altivec = null;
        SpeRegs spe = null;
        VsxRegs vsx = null;
        for (long bit : Layout.SECTION_ORDER) {
            if ((features & bit) == 0) {
                continue;
            }
            int type = Layout.recordType(bit);
            PayloadReader s = ctx.input().next(type);
            if (bit == PowerPc.FEATURE_FP) {
                fp = readFp(s);
            } else if (bit == PowerPc.FEATURE_DEBUG) {
                debug = readDebug(s);
            } else if (bit == PowerPc.FEATURE_ALTIVEC) {
                altivec = readAltivec(s);
            } else if (bit == PowerPc.FEATURE_SPE) {
                spe = readSpe(s);
            } else {
                vsx = readVsx(s);
            }
        }
        return new PowerPcCpuState(ctx.architecture(), regs, fp, debug, altivec, spe, vsx);
    }

    // PPC_REGS: size, reserved, features, then the 44 pt_regs words.

    private static void writeRegs(PowerPcCpuState c, PayloadWriter w) {
        w.u32(Layout.REGS_SIZE).u32(0).u64(c.features());
        for (long word : c.regs().toWords()) {
            w.u64(word);
        }
    }

    private static long readFeatures(PayloadReader r, PowerPcArchHead head, String architecture)
            throws ImageException {
        expectSize(r, Layout.PPC_REGS, Layout.REGS_SIZE);
        r.reserved32("reserved");
        long at = r.position();
        long features = r.u64("features");
        requireKnownFeatures(r, at, features, ": the task used a unit it cannot restore");
        long outside = features & ~head.features();
        if (outside != 0) {
            throw new InvalidImageException(r.recordName(), at, "features = 0x" + Long.toHexString(features)
                    + " includes " + PowerPc.featureNames(outside) + ", which the arch head excludes (0x"
                    + Long.toHexString(head.features()) + ")");
        }
        String problem = PowerPcCpuState.combinationProblem(architecture, features);
        if (problem != null) {
            throw new InvalidImageException(r.recordName(), at, problem);
        }
        return features;
    }

    private static GeneralRegs readRegs(PayloadReader r) throws ImageException {
        long[] words = new long[GeneralRegs.WORDS];
        for (int i = 0; i < words.length; i++) {
            words[i] = r.u64(GeneralRegs.wordName(i));
        }
        return GeneralRegs.fromWords(words);
    }

    // PPC_FP: size, reserved, fpr[32], fpscr, fpexc_mode.

    private static void writeFp(FpRegs fp, PayloadWriter w) {
        w.u32(Layout.FP_SIZE).u32(0);
        for (long f : fp.fpr()) {
            w.u64(f);
        }
        w.u64(fp.fpscr()).u64(fp.fpexcMode());
    }

    private static FpRegs readFp(PayloadReader r) throws ImageException {
        expectSize(r, Layout.PPC_FP, Layout.FP_SIZE);
        r.reserved32("reserved");
        long[] fpr = new long[FpRegs.FPR_COUNT];
        for (int i = 0; i < fpr.length; i++) {
            fpr[i] = r.u64("fpr" + i);
        }
        long fpscr = r.u64("fpscr");
        long fpexc = r.u64("fpexc_mode");
        return new FpRegs(fpr, fpscr, fpexc);
    }

    // PPC_DEBUG: size, count, dabr, then count × (id, reserved, value).

    private static void writeDebug(PowerPcDebugRegs d, PayloadWriter w) {
        w.u32(Layout.DEBUG_SIZE + (long) Layout.DEBUG_ENTRY_SIZE * d.extra().size()).u32(d.extra().size())
                .u64(d.dabr());
        for (PowerPcDebugRegs.Entry e : d.extra()) {
            w.u32(e.id()).u32(0).u64(e.value());
        }
    }

    private static PowerPcDebugRegs readDebug(PayloadReader r) throws ImageException {
        long at = r.position();
        long size = r.u32("size");
        int count = r.count("count", PowerPcDebugRegs.MAX_EXTRA, "further PowerPC debug registers ("
                + PowerPcDebugRegs.MAX_EXTRA + ")");
        long expected = Layout.DEBUG_SIZE + (long) Layout.DEBUG_ENTRY_SIZE * count;
        if (size != expected) {
            throw new InvalidImageException(r.recordName(), at, Layout.name(Layout.PPC_DEBUG) + " size = " + size
                    + ", expected " + expected + " for " + count + " further registers");
        }
        long dabr = r.u64("dabr");
        if (count > 0) {
            // No further debug register is defined yet: none can be validated, so none is accepted.
            long idAt = r.position();
            long id = r.u32("debug_reg[0].id");
            throw new UnsupportedImageException(r.recordName(), idAt, Rules.unknownDebugRegister(id));
        }
        return PowerPcDebugRegs.of(dabr);
    }

    // PPC_ALTIVEC: size, vscr, vrsave, reserved, vr[32] as 128-bit little-endian numbers.

    private static void writeAltivec(AltivecRegs a, PayloadWriter w) {
        w.u32(Layout.ALTIVEC_SIZE).u32(a.vscr()).u32(a.vrsave()).u32(0);
        for (Vector128 v : a.vr()) {
            w.u64(v.low()).u64(v.high());
        }
    }

    private static AltivecRegs readAltivec(PayloadReader r) throws ImageException {
        expectSize(r, Layout.PPC_ALTIVEC, Layout.ALTIVEC_SIZE);
        int vscr = (int) r.u32("vscr");
        int vrsave = (int) r.u32("vrsave");
        r.reserved32("reserved");
        List<Vector128> vr = new ArrayList<>(AltivecRegs.VR_COUNT);
        for (int i = 0; i < AltivecRegs.VR_COUNT; i++) {
            long low = r.u64("vr" + i + ".low");
            long high = r.u64("vr" + i + ".high");
            vr.add(new Vector128(high, low));
        }
        return new AltivecRegs(vr, vscr, vrsave);
    }

    // PPC_SPE: size, spefscr, acc, evr[32].

    private static void writeSpe(SpeRegs s, PayloadWriter w) {
        w.u32(Layout.SPE_SIZE).u32(s.spefscr()).u64(s.acc());
        for (int e : s.evr()) {
            w.u32(e);
        }
    }

    private static SpeRegs readSpe(PayloadReader r) throws ImageException {
        expectSize(r, Layout.PPC_SPE, Layout.SPE_SIZE);
        int spefscr = (int) r.u32("spefscr");
        long acc = r.u64("acc");
        int[] evr = new int[SpeRegs.EVR_COUNT];
        for (int i = 0; i < evr.length; i++) {
            evr[i] = (int) r.u32("evr" + i);
        }
        return new SpeRegs(evr, acc, spefscr);
    }

    // PPC_VSX: size, reserved, doubleword 1 of vs0–vs31.

    private static void writeVsx(VsxRegs v, PayloadWriter w) {
        w.u32(Layout.VSX_SIZE).u32(0);
        for (long d : v.vsrLow()) {
            w.u64(d);
        }
    }

    private static VsxRegs readVsx(PayloadReader r) throws ImageException {
        expectSize(r, Layout.PPC_VSX, Layout.VSX_SIZE);
        r.reserved32("reserved");
        long[] d = new long[VsxRegs.COUNT];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.u64("vs" + i + ".dw1");
        }
        return new VsxRegs(d);
    }

    private static void expectSize(PayloadReader r, int type, int expected) throws ImageException {
        long at = r.position();
        long size = r.u32("size");
        if (size != expected) {
            throw new InvalidImageException(r.recordName(), at, Layout.name(type) + " size = " + size
                    + ", this reader expects " + expected + ": a size it does not expect is an error, not a guess");
        }
    }

    // ---- check phase --------------------------------------------------------------

    @Override
    public CpuState check(CpuState state, CkptContext ctx) throws ImageException {
        String where = Layout.name(Layout.PPC_REGS);
        if (!(state instanceof PowerPcCpuState c) || !c.architecture().equals(ctx.architecture())) {
            throw new InvalidImageException(where, -1, "CPU state " + state.getClass().getName() + " of architecture '"
                    + state.architecture() + "' in a " + ctx.architecture() + " image");
        }
        // First what the reader would already have refused in the records of this state, so that
        // a checkpoint refuses with the reason its restart gives.
        Rules.Problem structural = Rules.structuralProblem(c);
        if (structural != null) {
            throw problem(structural);
        }
        PowerPcArchHead head = (PowerPcArchHead) ctx.archHead();
        TargetCpu target = ctx.target();
        if (c.is64Bit() && !is64BitTarget(target)) {
            throw new UnsupportedImageException(where, -1, "a ppc64 image cannot restart on a 32-bit target "
                    + "(architecture '" + target.architecture() + "' without feature '" + PowerPc.TARGET_PPC64
                    + "'): its 64-bit registers and addresses have no 32-bit equivalent");
        }
        long unknown = c.features() & ~head.features();
        if (unknown != 0) {
            throw new UnsupportedImageException(where, -1, "feature bits 0x" + Long.toHexString(unknown)
                    + " are not in the arch head's mask 0x" + Long.toHexString(head.features()));
        }
        for (long m = c.features(); m != 0; m &= m - 1) {
            long bit = Long.lowestOneBit(m);
            String needed = PowerPc.targetFeature(bit);
            if (needed != null && !target.supports(needed)) {
                throw new UnsupportedImageException(Layout.name(Layout.recordType(bit)), -1, "the task used feature "
                        + PowerPc.featureName(bit) + " (bit 0x" + Long.toHexString(bit) + "); the target ("
                        + target.architecture() + ", features " + target.features() + ") does not declare '"
                        + needed + "'");
            }
        }
        if (ctx.policy() == RestorePolicy.EXACT) {
            Rules.Problem p = Rules.exactProblem(c);
            if (p != null) {
                throw problem(p);
            }
            return c;
        }
        Rules.Problem p = Rules.linuxUserProblem(c);
        if (p != null) {
            throw problem(p);
        }
        return c.withRegs(c.regs().withMsr(Rules.userMsr(c)));
    }

    private static ImageException problem(Rules.Problem p) {
        String where = Layout.name(p.recordType());
        return p.unsupported() ? new UnsupportedImageException(where, -1, p.message())
                : new InvalidImageException(where, -1, p.message());
    }

    /** A target runs 64-bit tasks if it is a ppc64 target or declares {@code "ppc64"}. */
    static boolean is64BitTarget(TargetCpu target) {
        return PowerPc.PPC64.equals(target.architecture()) || target.supports(PowerPc.TARGET_PPC64);
    }

    private static void requireArchitecture(String architecture) {
        if (!PowerPc.isArchitecture(architecture)) {
            throw new IllegalArgumentException("not a PowerPC architecture: " + architecture);
        }
    }

    /** Rejects feature bits this reader does not know; {@code consequence} ends the message. */
    private static void requireKnownFeatures(PayloadReader in, long at, long features, String consequence)
            throws UnsupportedImageException {
        long unknown = features & ~PowerPc.KNOWN_FEATURES;
        if (unknown != 0) {
            throw new UnsupportedImageException(in.recordName(), at, "features = 0x" + Long.toHexString(features)
                    + " has unknown feature bits 0x" + Long.toHexString(unknown) + " (this reader knows "
                    + PowerPc.featureNames(PowerPc.KNOWN_FEATURES) + ")" + consequence);
        }
    }
}
