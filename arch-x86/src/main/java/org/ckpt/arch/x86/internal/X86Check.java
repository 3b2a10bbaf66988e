package org.ckpt.arch.x86.internal;

import static org.ckpt.arch.x86.internal.X86Format.*;
import static org.ckpt.arch.x86.internal.X86Records.hex;

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
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;

/**
 * The one rule set per restore policy, applied by a checkpoint before it writes anything
 * and by a restart before it commits: every rule a restored x86 state must pass, and the
 * state as it is then committed. Pure: reads its arguments only.
 *
 * <p>Both policies first apply the rules that keep the image self-consistent and the state
 * representable ({@link #checkCommon}): a target of the family and bitness, XSAVE
 * features the arch head declares and the target has, selectors that fit 16 bits, i386
 * debug registers that fit 32. {@link RestorePolicy#EXACT} stops there and returns the
 * state unchanged; {@link RestorePolicy#LINUX_USER} adds the rules of a Linux user task and
 * returns the state as a kernel would hold it (docs/FORMAT.md §11.11).
 */
final class X86Check {
    private X86Check() {
    }

    /** Which kernel's segment layout a 32-bit task runs under. */
    enum Layout {
        /** compat mode under an x86_64 kernel: CS 0x23, DS/SS 0x2b, TLS GDT entries 12-14. */
        COMPAT(USER32_CS_COMPAT, USER_DS_COMPAT, TLS_MIN_COMPAT, LIMIT_I386_COMPAT, FLAG_MASK_64, true,
                "x86_64 kernel (compat mode)"),
        /** a native i386 kernel: CS 0x73, DS/SS 0x7b, TLS GDT entries 6-8. */
        NATIVE(USER_CS_NATIVE, USER_DS_NATIVE, TLS_MIN_NATIVE, LIMIT_I386_NATIVE, FLAG_MASK_32, false,
                "native i386 kernel");

        final int cs;
        final int ds;
        final int tlsMin;
        final long limit;
        final long flagMask;
        final boolean len8;
        final String what;

        Layout(int cs, int ds, int tlsMin, long limit, long flagMask, boolean len8, String what) {
            this.cs = cs;
            this.ds = ds;
            this.tlsMin = tlsMin;
            this.limit = limit;
            this.flagMask = flagMask;
            this.len8 = len8;
            this.what = what;
        }
    }

    static X86CpuState check(X86CpuState s, X86ArchHead head, TargetCpu target, RestorePolicy policy)
            throws ImageException {
        checkCommon(s, head, target);
        if (policy == RestorePolicy.EXACT) {
            return s;
        }
        checkMxcsr(s.fpu(), target);
        if (s instanceof X86_64State x) {
            return check64(x);
        }
        return check32((I386State) s, target);
    }

    // ---- both policies --------------------------------------------------------------------------

    /** Target family and bitness, XSAVE features, register widths: what every policy requires. */
    private static void checkCommon(X86CpuState s, X86ArchHead head, TargetCpu target) throws ImageException {
        String ta = target.architecture();
        if (!ta.equals(I386) && !ta.equals(X86_64)) {
            throw new UnsupportedImageException("ARCH_HEAD", -1,
                    "an x86 image cannot restart on a target of architecture '" + ta + "'");
        }
        if (s instanceof X86_64State && ta.equals(I386)) {
            throw new UnsupportedImageException(name(REGS_X86_64), -1,
                    "an x86_64 image cannot restart on an i386 target: 64-bit code needs an x86_64 CPU and kernel (only i386 images cross bitness, in compat mode"
                    + " on an x86_64 target)");
        }
        checkXState(s.xsave(), head, target);
        if (s instanceof X86_64State x) {
            String rec = name(REGS_X86_64);
            X86_64Regs r = x.regs();
            selectorWidth(rec, "cs", r.cs());
            selectorWidth(rec, "ss", r.ss());
            selectorWidth(rec, "ds", r.ds());
            selectorWidth(rec, "es", r.es());
            selectorWidth(rec, "fs", r.fs());
            selectorWidth(rec, "gs", r.gs());
        } else {
            String rec = name(REGS_I386);
            I386Regs r = ((I386State) s).regs();
            selectorWidth(rec, "cs", Integer.toUnsignedLong(r.cs()));
            selectorWidth(rec, "ss", Integer.toUnsignedLong(r.ss()));
            selectorWidth(rec, "ds", Integer.toUnsignedLong(r.ds()));
            selectorWidth(rec, "es", Integer.toUnsignedLong(r.es()));
            selectorWidth(rec, "fs", Integer.toUnsignedLong(r.fs()));
            selectorWidth(rec, "gs", Integer.toUnsignedLong(r.gs()));
            X86DebugRegs d = s.debug();
            if (d != null) {
                String drec = name(DEBUGREGS);
                for (int i = 0; i < 4; i++) {
                    word32(drec, "dr" + i, d.address(i));
                }
                word32(drec, "dr6", d.dr6());
                word32(drec, "dr7", d.dr7());
            }
        }
    }

    /** Segment registers are 16 bits wide; user_regs_struct merely holds them in wider fields. */
    private static void selectorWidth(String rec, String reg, long v) throws ImageException {
        if (v < 0 || v > 0xFFFF) {
            throw invalid(rec, "register " + reg + " = " + hex(v) + " does not fit a 16-bit selector");
        }
    }

    /** An i386 debug register is 32 bits wide, held zero-extended. */
    private static void word32(String rec, String reg, long v) throws ImageException {
        if ((v >>> 32) != 0) {
            throw invalid(rec, "register " + reg + " = " + hex(v) + " does not fit 32 bits (i386 debug registers"
                    + " are 32-bit, held zero-extended)");
        }
    }

    // ---- x86_64 -------------------------------------------------------------------------------

    private static X86_64State check64(X86_64State s) throws ImageException {
        String rec = name(REGS_X86_64);
        X86_64Regs r = s.regs();
        if (r.cs() != USER_CS_64) {
            throw invalid(rec, "register cs = " + hex(r.cs()) + " is not the 64-bit user code selector "
                    + hex(USER_CS_64));
        }
        if (r.ss() != USER_DS_64) {
            throw invalid(rec, "register ss = " + hex(r.ss()) + " is not the 64-bit user stack selector "
                    + hex(USER_DS_64));
        }
        dataSelector(rec, "ds", r.ds());
        dataSelector(rec, "es", r.es());
        dataSelector(rec, "fs", r.fs());
        dataSelector(rec, "gs", r.gs());
        userAddress(rec, "rip", r.rip(), LIMIT_X86_64, "TASK_SIZE_MAX, 4-level paging");
        userAddress(rec, "fs_base", r.fsBase(), LIMIT_X86_64, "TASK_SIZE_MAX, 4-level paging");
        userAddress(rec, "gs_base", r.gsBase(), LIMIT_X86_64, "TASK_SIZE_MAX, 4-level paging");
        checkDebug(s.debug(), LIMIT_X86_64, true);
        long eflags = EFLAGS_DEFAULT | (r.eflags() & FLAG_MASK_64);
        return new X86_64State(r.withEflags(eflags), s.fpu(), s.xsave(), s.debug());
    }

    private static void dataSelector(String rec, String reg, long v) throws ImageException {
        if (v != 0 && (v & 3) != 3) {
            throw invalid(rec, "register " + reg + " = " + hex(v)
                    + " is neither the null selector 0 nor user-privileged (RPL 3)");
        }
    }

    private static void userAddress(String rec, String reg, long v, long limit, String why) throws ImageException {
        if (Long.compareUnsigned(v, limit) >= 0) {
            throw invalid(rec, "register " + reg + " = " + hex(v) + " is not a user address: it must be canonical"
                    + " and below " + hex(limit) + " (" + why + ")");
        }
    }

    // ---- i386 ---------------------------------------------------------------------------------

    private static I386State check32(I386State s, TargetCpu target) throws ImageException {
        String rec = name(REGS_I386);
        I386Regs r = s.regs();
        long cs = Integer.toUnsignedLong(r.cs());
        long ss = Integer.toUnsignedLong(r.ss());
        Layout origin;
        if (cs == USER32_CS_COMPAT) {
            origin = Layout.COMPAT;
        } else if (cs == USER_CS_NATIVE) {
            origin = Layout.NATIVE;
        } else {
            throw invalid(rec, "register cs = " + hex(cs) + " is not a 32-bit user code selector (" + hex(USER32_CS_COMPAT)
                    + " under an x86_64 kernel, " + hex(USER_CS_NATIVE) + " under a native i386 kernel)");
        }
        if (ss != origin.ds) {
            throw invalid(rec, "register ss = " + hex(ss) + " is not the user stack selector " + hex(origin.ds)
                    + " that goes with cs " + hex(cs) + " (" + origin.what + ")");
        }
        Layout to;
        if (target.architecture().equals(X86_64)) {
            to = Layout.COMPAT;
        } else if (!target.allFeatures()) {
            to = Layout.NATIVE;
        } else {
            to = origin; // the in-memory model: keep the image's own layout
        }
        userAddress(rec, "eip", Integer.toUnsignedLong(r.eip()), to.limit, "user address limit of a " + to.what);
        int ds = selector32(rec, "ds", r.ds(), origin, to);
        int es = selector32(rec, "es", r.es(), origin, to);
        int fs = selector32(rec, "fs", r.fs(), origin, to);
        int gs = selector32(rec, "gs", r.gs(), origin, to);
        List<UserDesc> tls = checkTls(s.tls(), origin, to);
        checkDebug(s.debug(), to.limit, to.len8);
        int eflags = (int) (EFLAGS_DEFAULT | (Integer.toUnsignedLong(r.eflags()) & to.flagMask));
        I386Regs out = r.withSelectors(to.cs, to.ds, ds, es, fs, gs).withEflags(eflags);
        return new I386State(out, s.fpu(), s.xsave(), s.debug(), tls);
    }

    private static int selector32(String rec, String reg, int value, Layout origin, Layout to) throws ImageException {
        long v = Integer.toUnsignedLong(value);
        dataSelector(rec, reg, v);
        if (v == 0 || (v & 4) != 0 || (v >>> 3) == 0) {
            return value; // null selector, or an LDT selector: carried unchanged
        }
        if (v == origin.ds) {
            return to.ds;
        }
        if (v == origin.cs) {
            return to.cs;
        }
        long index = v >>> 3;
        if (index >= origin.tlsMin && index < origin.tlsMin + TLS_ENTRIES_I386) {
            return (int) (((index - origin.tlsMin + to.tlsMin) << 3) | 3);
        }
        throw invalid(rec, "register " + reg + " = " + hex(v) + " selects GDT entry " + index
                + ", which is not a user segment of a " + origin.what + " (user code " + hex(origin.cs)
                + ", user data " + hex(origin.ds) + ", TLS entries " + origin.tlsMin + "-"
                + (origin.tlsMin + TLS_ENTRIES_I386 - 1) + ")");
    }

    /** TLS descriptors unknown ({@code null}) stay unknown: the target keeps its own. */
    private static List<UserDesc> checkTls(List<UserDesc> tls, Layout origin, Layout to) throws ImageException {
        if (tls == null) {
            return null;
        }
        String rec = name(TLS_I386);
        List<UserDesc> out = new ArrayList<>(tls.size());
        for (int i = 0; i < tls.size(); i++) {
            UserDesc d = tls.get(i);
            String reg = "tls[" + i + "]";
            long entry = Integer.toUnsignedLong(d.entryNumber());
            if (entry != origin.tlsMin + i) {
                throw invalid(rec, reg + ".entry_number = " + entry + " is not GDT TLS entry " + (origin.tlsMin + i)
                        + " of a " + origin.what);
            }
            long flags = Integer.toUnsignedLong(d.flags());
            if ((flags & ~0xFFL) != 0) {
                throw invalid(rec, reg + ".flags = " + hex(flags) + " sets bits beyond struct user_desc's 8 flags");
            }
            if (!d.isEmpty()) {
                if ((flags & UserDesc.SEG_32BIT) == 0) {
                    throw invalid(rec, reg + ".flags = " + hex(flags) + ": a TLS segment must be 32-bit"
                            + " (16-bit segments need espfix, which the GDT does not get)");
                }
                if (d.contents() > 1) {
                    throw invalid(rec, reg + ".flags = " + hex(flags) + ": contents " + d.contents()
                            + " is a code segment; TLS entries may only be data segments");
                }
                if ((flags & UserDesc.SEG_NOT_PRESENT) != 0) {
                    throw invalid(rec, reg + ".flags = " + hex(flags) + ": a TLS entry may not be not-present"
                            + " unless it is empty");
                }
                if (Integer.toUnsignedLong(d.limit()) > 0xFFFFF) {
                    throw invalid(rec, reg + ".limit = " + hex(Integer.toUnsignedLong(d.limit()))
                            + " does not fit the 20-bit segment limit");
                }
            }
            out.add(new UserDesc(to.tlsMin + i, d.baseAddr(), d.limit(), d.flags()));
        }
        return out;
    }

    // ---- debug registers ------------------------------------------------------------------------

    /** Debug registers unknown ({@code null}) are left as the target has them: nothing to check. */
    private static void checkDebug(X86DebugRegs d, long limit, boolean len8) throws ImageException {
        if (d == null) {
            return;
        }
        String rec = name(DEBUGREGS);
        for (int i = 0; i < 4; i++) {
            long a = d.address(i);
            userAddress(rec, "dr" + i, a, limit, "debug registers may only point into user space");
        }
        if ((d.dr6() & DR6_RESERVED) != 0) {
            throw invalid(rec, "register dr6 = " + hex(d.dr6()) + " sets bits 32-63, which are reserved");
        }
        long dr7 = d.dr7();
        if ((dr7 & DR7_GD) != 0) {
            throw invalid(rec, "register dr7 = " + hex(dr7) + " sets GD (bit 13, general detect), which only the"
                    + " kernel may use");
        }
        if ((dr7 & DR7_RESERVED) != 0) {
            throw invalid(rec, "register dr7 = " + hex(dr7) + " sets bits " + hex(dr7 & DR7_RESERVED)
                    + " reserved to the kernel (bits 10-15 and 32-63, DR_CONTROL_RESERVED)");
        }
        for (int i = 0; i < 4; i++) {
            if (((dr7 >>> (2 * i)) & 3) == 0) {
                continue;
            }
            int rw = (int) ((dr7 >>> (16 + 4 * i)) & 3);
            int len = (int) ((dr7 >>> (18 + 4 * i)) & 3);
            if (rw == 2) {
                throw invalid(rec, "register dr7 = " + hex(dr7) + " enables DR" + i + " as an I/O breakpoint"
                        + " (R/W" + i + " = 10), which only the kernel may use");
            }
            if (rw == 0 && len != 0) {
                throw invalid(rec, "register dr7 = " + hex(dr7) + " enables DR" + i + " as an execute breakpoint"
                        + " with LEN" + i + " = " + len + " (execute breakpoints need LEN 00)");
            }
            if (len == 2 && !len8) {
                throw invalid(rec, "register dr7 = " + hex(dr7) + " enables DR" + i + " with LEN" + i
                        + " = 10 (8 bytes), which a native i386 kernel does not support");
            }
            int bytes = switch (len) {
                case 0 -> 1;
                case 1 -> 2;
                case 2 -> 8;
                default -> 4;
            };
            long a = d.address(i);
            if ((a & (bytes - 1)) != 0) {
                throw invalid(rec, "register dr" + i + " = " + hex(a) + " is not aligned to its " + bytes
                        + "-byte breakpoint length in dr7 = " + hex(dr7));
            }
            if (Long.compareUnsigned(a + bytes - 1, limit) >= 0 || Long.compareUnsigned(a + bytes - 1, a) < 0) {
                throw invalid(rec, "register dr7 = " + hex(dr7) + " enables a breakpoint at dr" + i + " = " + hex(a)
                        + " that reaches kernel addresses (limit " + hex(limit) + ")");
            }
        }
    }

    // ---- FPU ------------------------------------------------------------------------------------

    private static void checkMxcsr(FxSave f, TargetCpu target) throws ImageException {
        String rec = name(FXSAVE);
        long mask = Integer.toUnsignedLong(f.mxcsrMask());
        if ((mask & ~(long) MXCSR_MASK_MAX) != 0) {
            throw invalid(rec, "register mxcsr_mask = " + hex(mask) + " sets bits " + hex(mask & ~(long) MXCSR_MASK_MAX)
                    + " no x86 CPU implements (at most " + hex(MXCSR_MASK_MAX) + ")");
        }
        long mxcsr = Integer.toUnsignedLong(f.mxcsr());
        long eff = Integer.toUnsignedLong(f.effectiveMxcsrMask());
        if ((mxcsr & ~eff) != 0) {
            throw invalid(rec, "register mxcsr = " + hex(mxcsr) + " sets bits " + hex(mxcsr & ~eff)
                    + " outside mxcsr_mask " + hex(eff) + (mask == 0 ? " (assumed for an unrecorded mask of 0)" : "")
                    + ": loading it faults on real hardware");
        }
        if ((mxcsr & MXCSR_MM) != 0 && !target.supports(FEATURE_MISALIGNSSE)) {
            throw new UnsupportedImageException(rec, -1, "register mxcsr = " + hex(mxcsr)
                    + " sets MM (bit 17, misaligned SSE exception mask), which needs target feature '"
                    + FEATURE_MISALIGNSSE + "'");
        }
    }

    private static void checkXState(XSave x, X86ArchHead head, TargetCpu target) throws ImageException {
        if (x == null) {
            return;
        }
        String rec = name(XSTATE);
        if ((x.xcr0() & ~head.xfeatures()) != 0) {
            throw invalid(rec, "register xcr0 = " + hex(x.xcr0()) + " sets bits " + hex(x.xcr0() & ~head.xfeatures())
                    + " the arch head does not declare");
        }
        for (XFeature f : XFeature.extended(x.xcr0())) {
            if (!target.supports(f.targetFeature())) {
                throw new UnsupportedImageException(rec, -1, "register xcr0 = " + hex(x.xcr0()) + " enables " + f
                        + " (XCR0 bit " + f.bit() + "), but the target does not declare feature '"
                        + f.targetFeature() + "'");
            }
        }
    }

    private static InvalidImageException invalid(String rec, String reason) {
        return new InvalidImageException(rec, -1, reason);
    }
}
