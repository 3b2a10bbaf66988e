package org.ckpt.arch.x86.internal;

import static org.ckpt.arch.x86.internal.X86Format.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386Regs;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.UserDesc;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.arch.x86.XFeature;
import org.ckpt.arch.x86.XSave;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.UnsupportedImageException;

/**
 * Writer and reader of every x86 record, side by side and field for field. The
 * reader checks structure (sizes, counts, reserved fields, known feature bits);
 * whether the values are safe to run is the check phase's job ({@link X86Check}).
 */
final class X86Records {
    private X86Records() {
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    // ---- ARCH_HEAD ---------------------------------------------------------------------------

    static void writeHead(X86ArchHead h, PayloadWriter out) {
        out.u32(h.regsSize()).u32(h.fxsaveSize()).u32(h.debugSize()).u32(h.tlsEntries())
                .u64(h.xfeatures()).u32(h.xstateMaxSize()).u32(0);
    }

    static X86ArchHead readHead(String architecture, PayloadReader in) throws ImageException {
        X86ArchHead want = X86ArchHead.current(architecture);
        int regsSize = exact(in, "regs_size", want.regsSize());
        int fxsaveSize = exact(in, "fxsave_size", want.fxsaveSize());
        int debugSize = exact(in, "debugregs_size", want.debugSize());
        int tls = exact(in, "tls_entries", want.tlsEntries());
        long at = in.position();
        long xfeatures = in.u64("xfeatures");
        long unknown = xfeatures & ~XFeature.KNOWN_MASK;
        if (unknown != 0) {
            throw new UnsupportedImageException(in.recordName(), at, "xfeatures " + hex(xfeatures)
                    + " has XCR0 bits " + hex(unknown) + " this reader does not know (known: "
                    + hex(XFeature.KNOWN_MASK) + ")");
        }
        String problem = XFeature.xcr0Problem(xfeatures);
        if (problem != null) {
            throw new InvalidImageException(in.recordName(), at, "xfeatures " + hex(xfeatures) + ": " + problem);
        }
        if ((xfeatures & XFeature.LEGACY_MASK) != XFeature.LEGACY_MASK) {
            throw new InvalidImageException(in.recordName(), at, "xfeatures " + hex(xfeatures)
                    + " lacks x87|SSE (0x3), which every x86 image carries in its FXSAVE record");
        }
        int xstateMax = exact(in, "xstate_max_size", XFeature.extendedSize(xfeatures));
        in.reserved32("reserved");
        return new X86ArchHead(architecture, regsSize, fxsaveSize, debugSize, tls, xfeatures, xstateMax);
    }

    private static int exact(PayloadReader in, String field, int expected) throws ImageException {
        long at = in.position();
        long v = in.u32(field);
        if (v != expected) {
            throw new InvalidImageException(in.recordName(), at, field + " " + v + ", expected " + expected);
        }
        return expected;
    }

    // ---- CPU records ---------------------------------------------------------------------------

    /** The regs record's flags for {@code s}: which optional records follow. */
    static long flags(X86CpuState s) {
        long flags = 0;
        if (s.xsave() != null) {
            flags |= REGS_FLAG_XSTATE;
        }
        if (s.debug() == null) {
            flags |= REGS_FLAG_NO_DEBUG;
        }
        if (s instanceof I386State x && x.tls() == null) {
            flags |= REGS_FLAG_NO_TLS;
        }
        if (needsFpuExt(s.fpu())) {
            flags |= REGS_FLAG_FPU_EXT;
        }
        return flags;
    }

    /**
     * Whether {@code f} holds what X86_FXSAVE cannot: FPU selectors beside 64-bit pointers, or
     * a full tag word other than the one derived from the abridged one. Written only then, so
     * the image of an ordinary state stays what 0.1 wrote.
     */
    static boolean needsFpuExt(FxSave f) {
        return f.fcs() != 0 || f.fds() != 0 || !f.hasDerivedTagWord();
    }

    static void writeCpu(X86CpuState s, RecordOutput out) throws IOException {
        long flags = flags(s);
        if (s instanceof X86_64State x) {
            PayloadWriter w = out.begin(REGS_X86_64).u32(flags).u32(0);
            for (long v : x.regs().toArray()) {
                w.u64(v);
            }
        } else {
            I386State x = (I386State) s;
            PayloadWriter w = out.begin(REGS_I386).u32(flags).u32(0);
            for (int v : x.regs().toArray()) {
                w.u32(Integer.toUnsignedLong(v));
            }
        }
        writeFx(s.fpu(), out.begin(FXSAVE));
        if ((flags & REGS_FLAG_FPU_EXT) != 0) {
            writeFpuExt(s.fpu(), out.begin(FPU_EXT));
        }
        if (s.xsave() != null) {
            writeXState(s.xsave(), out.begin(XSTATE));
        }
        X86DebugRegs d = s.debug();
        if (d != null) {
            out.begin(DEBUGREGS).u64(d.dr0()).u64(d.dr1()).u64(d.dr2()).u64(d.dr3()).u64(d.dr6()).u64(d.dr7());
        }
        if (s instanceof I386State x && x.tls() != null) {
            PayloadWriter w = out.begin(TLS_I386).u32(x.tls().size()).u32(0);
            for (UserDesc u : x.tls()) {
                w.u32(Integer.toUnsignedLong(u.entryNumber())).u32(Integer.toUnsignedLong(u.baseAddr()))
                        .u32(Integer.toUnsignedLong(u.limit())).u32(Integer.toUnsignedLong(u.flags()));
            }
        }
        out.end();
    }

    static X86CpuState readCpu(X86ArchHead head, RecordInput in) throws IOException {
        boolean is64 = head.is64();
        PayloadReader r = in.next(is64 ? REGS_X86_64 : REGS_I386);
        long at = r.position();
        long flags = r.u32("flags");
        if ((flags & ~REGS_FLAGS_KNOWN_32) != 0) {
            throw new UnsupportedImageException(r.recordName(), at, "flags " + hex(flags) + " has unknown bits "
                    + hex(flags & ~REGS_FLAGS_KNOWN_32));
        }
        if (is64 && (flags & REGS_FLAG_NO_TLS) != 0) {
            throw new InvalidImageException(r.recordName(), at, "flags " + hex(flags) + " sets bit 2 (no X86_TLS32),"
                    + " which only i386 images have");
        }
        r.reserved32("reserved");
        X86_64Regs regs64 = null;
        I386Regs regs32 = null;
        if (is64) {
            long[] w = new long[X86_64Regs.WORDS];
            for (int i = 0; i < w.length; i++) {
                w[i] = r.u64(REGS64_NAMES[i]);
            }
            regs64 = X86_64Regs.fromArray(w);
        } else {
            int[] w = new int[I386Regs.WORDS];
            for (int i = 0; i < w.length; i++) {
                w[i] = (int) r.u32(REGS32_NAMES[i]);
            }
            regs32 = I386Regs.fromArray(w);
        }
        FxSave fx = readFx(in.next(FXSAVE));
        if ((flags & REGS_FLAG_FPU_EXT) != 0) {
            fx = readFpuExt(fx, in.next(FPU_EXT));
        }
        XSave xs = (flags & REGS_FLAG_XSTATE) != 0 ? readXState(head, in.next(XSTATE)) : null;
        X86DebugRegs dr = null;
        if ((flags & REGS_FLAG_NO_DEBUG) == 0) {
            PayloadReader d = in.next(DEBUGREGS);
            dr = new X86DebugRegs(d.u64("dr0"), d.u64("dr1"), d.u64("dr2"), d.u64("dr3"), d.u64("dr6"),
                    d.u64("dr7"));
        }
        if (is64) {
            return new X86_64State(regs64, fx, xs, dr);
        }
        if ((flags & REGS_FLAG_NO_TLS) != 0) {
            return new I386State(regs32, fx, xs, dr, null);
        }
        PayloadReader t = in.next(TLS_I386);
        at = t.position();
        int n = t.count("tls_count", TLS_ENTRIES_I386, "i386 TLS entries");
        if (n != TLS_ENTRIES_I386) {
            throw new InvalidImageException(t.recordName(), at, "tls_count " + n + ", expected " + TLS_ENTRIES_I386);
        }
        t.reserved32("reserved");
        List<UserDesc> tls = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tls.add(new UserDesc((int) t.u32("tls[" + i + "].entry_number"), (int) t.u32("tls[" + i + "].base_addr"),
                    (int) t.u32("tls[" + i + "].limit"), (int) t.u32("tls[" + i + "].flags")));
        }
        return new I386State(regs32, fx, xs, dr, tls);
    }

    static final String[] REGS64_NAMES = {"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax",
        "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es",
        "fs", "gs"};
    static final String[] REGS32_NAMES = {"ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
        "orig_eax", "eip", "cs", "eflags", "esp", "ss"};

    // ---- X86_FXSAVE ----

    static void writeFx(FxSave f, PayloadWriter w) {
        w.u16(f.fcw()).u16(f.fsw()).u8(f.ftw()).u8(0).u16(f.fop()).u64(f.fip()).u64(f.fdp())
                .u32(Integer.toUnsignedLong(f.mxcsr())).u32(Integer.toUnsignedLong(f.mxcsrMask()))
                .bytes(f.st()).bytes(f.xmm());
    }

    static FxSave readFx(PayloadReader r) throws ImageException {
        int fcw = r.u16("fcw");
        int fsw = r.u16("fsw");
        int ftw = r.u8("ftw");
        long at = r.position();
        int reserved = r.u8("reserved");
        if (reserved != 0) {
            throw new InvalidImageException(r.recordName(), at, "reserved byte is " + hex(reserved) + ", must be 0");
        }
        int fop = r.u16("fop");
        long fip = r.u64("fip");
        long fdp = r.u64("fdp");
        int mxcsr = (int) r.u32("mxcsr");
        int mask = (int) r.u32("mxcsr_mask");
        byte[] st = r.bytes("st", FxSave.ST_BYTES);
        byte[] xmm = r.bytes("xmm", FxSave.XMM_BYTES);
        return new FxSave(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mask, st, xmm);
    }

    // ---- X86_FPU_EXT ----

    static void writeFpuExt(FxSave f, PayloadWriter w) {
        w.u16(f.fcs()).u16(f.fds()).u16(f.tagWord()).u16(0);
    }

    /** {@code fx} with the FPU selectors and the full tag word of an X86_FPU_EXT payload. */
    static FxSave readFpuExt(FxSave fx, PayloadReader r) throws ImageException {
        int fcs = r.u16("fcs");
        int fds = r.u16("fds");
        long at = r.position();
        int tagWord = r.u16("tag_word");
        if (FxSave.abridgedTagWord(tagWord) != fx.ftw()) {
            throw new InvalidImageException(r.recordName(), at, "tag_word " + hex(tagWord) + " marks registers "
                    + hex(FxSave.abridgedTagWord(tagWord)) + " as not empty, but X86_FXSAVE's abridged ftw is "
                    + hex(fx.ftw()) + " (bit i of ftw must be set exactly when tag i is not 11)");
        }
        at = r.position();
        int reserved = r.u16("reserved");
        if (reserved != 0) {
            throw new InvalidImageException(r.recordName(), at, "reserved u16 is " + hex(reserved) + ", must be 0");
        }
        return new FxSave(fx.fcw(), fx.fsw(), fx.ftw(), fx.fop(), fx.fip(), fx.fdp(), fx.mxcsr(), fx.mxcsrMask(),
                fx.st(), fx.xmm(), fcs, fds, tagWord);
    }

    // ---- X86_XSTATE ----

    static void writeXState(XSave x, PayloadWriter w) {
        w.u64(x.xcr0()).u64(x.xstateBv()).u32(x.components().size()).u32(0);
        for (XSave.Component c : x.components()) {
            w.u32(c.feature().bit()).u32(c.feature().size()).bytes(c.data());
        }
    }

    static XSave readXState(X86ArchHead head, PayloadReader r) throws ImageException {
        long at = r.position();
        long xcr0 = r.u64("xcr0");
        long unknown = xcr0 & ~XFeature.KNOWN_MASK;
        if (unknown != 0) {
            throw new UnsupportedImageException(r.recordName(), at, "xcr0 " + hex(xcr0) + " has XCR0 bits "
                    + hex(unknown) + " this reader does not know");
        }
        String problem = XFeature.xcr0Problem(xcr0);
        if (problem != null) {
            throw new InvalidImageException(r.recordName(), at, "xcr0 " + hex(xcr0) + ": " + problem);
        }
        if ((xcr0 & ~head.xfeatures()) != 0) {
            throw new InvalidImageException(r.recordName(), at, "xcr0 " + hex(xcr0) + " sets bits "
                    + hex(xcr0 & ~head.xfeatures()) + " the arch head does not declare (xfeatures "
                    + hex(head.xfeatures()) + ")");
        }
        at = r.position();
        long bv = r.u64("xstate_bv");
        if ((bv & ~xcr0) != 0) {
            throw new InvalidImageException(r.recordName(), at, "xstate_bv " + hex(bv) + " sets bits "
                    + hex(bv & ~xcr0) + " outside xcr0 " + hex(xcr0));
        }
        List<XFeature> want = XFeature.extended(xcr0);
        at = r.position();
        int n = r.count("component_count", want.size(), "XSAVE components for xcr0 " + hex(xcr0));
        if (n != want.size()) {
            throw new InvalidImageException(r.recordName(), at, "component_count " + n + ", xcr0 " + hex(xcr0)
                    + " needs " + want.size());
        }
        r.reserved32("reserved");
        List<XSave.Component> comps = new ArrayList<>(n);
        for (XFeature f : want) {
            at = r.position();
            long bit = r.u32("feature");
            if (bit != f.bit()) {
                throw new InvalidImageException(r.recordName(), at, "component feature " + bit + ", expected "
                        + f.bit() + " (" + f + "): components follow xcr0's bits in ascending order");
            }
            at = r.position();
            long size = r.u32(f + ".size");
            if (size != f.size()) {
                throw new InvalidImageException(r.recordName(), at, f + " size " + size
                        + ", architectural size " + f.size());
            }
            comps.add(new XSave.Component(f, r.bytes(f + ".data", f.size())));
        }
        return new XSave(xcr0, bv, comps);
    }
}
