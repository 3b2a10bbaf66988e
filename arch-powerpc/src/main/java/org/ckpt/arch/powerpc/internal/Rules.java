package org.ckpt.arch.powerpc.internal;

import org.ckpt.arch.powerpc.DebugRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpu;

/**
 * The register rules a checkpoint refuses to write and a restart refuses to commit,
 * in one place so both sides apply the same ones, and the MSR a restart rebuilds.
 */
final class Rules {
    /** One broken rule: the record holding the register and a message naming register, value and rule. */
    record Problem(int recordType, String message) {
    }

    private Rules() {
    }

    /** The first rule {@code c} breaks, or {@code null}. */
    static Problem firstProblem(PowerPcCpu c) {
        String arch = c.architecture();
        long msr = c.regs().msr();
        boolean sf = (msr & PowerPc.MSR_SF) != 0;
        if (sf != c.is64Bit()) {
            return new Problem(Layout.PPC_REGS, "register msr = " + hex(msr) + ": MSR_SF (bit 63, 64-bit mode) is "
                    + (sf ? "set in a ppc32" : "clear in a ppc64") + " image; the mode bit must match the task's "
                    + "bitness (it is the only MSR bit a restart takes from the image)");
        }
        long limit = PowerPc.userAddressLimit(arch);
        long nip = c.regs().nip();
        if (Long.compareUnsigned(nip, limit) >= 0) {
            return new Problem(Layout.PPC_REGS, "register nip = " + hex(nip) + " is not a user address: it must "
                    + "lie below the " + arch + " user limit " + hex(limit));
        }
        if (c.fp() != null && (c.fp().fpexcMode() & ~PowerPc.FPEXC_MASK) != 0) {
            return new Problem(Layout.PPC_FP, "fpexc_mode = " + hex(c.fp().fpexcMode()) + ": only MSR_FE0 (0x800) "
                    + "and MSR_FE1 (0x100) may be set, as Linux keeps the PR_SET_FPEXC mode as those MSR bits");
        }
        DebugRegs d = c.debug();
        if (d != null) {
            long dabr = d.dabr();
            if (dabr != 0 && (dabr & PowerPc.DABR_TRANSLATION) == 0) {
                return new Problem(Layout.PPC_DEBUG, "register dabr = " + hex(dabr) + ": a non-zero DABR must have "
                        + "DABR_TRANSLATION (bit 2, 0x4) set, or it would match untranslated (real-mode) addresses");
            }
            long address = dabr & ~PowerPc.DABR_FLAGS;
            if (Long.compareUnsigned(address, limit) >= 0) {
                return new Problem(Layout.PPC_DEBUG, "register dabr = " + hex(dabr) + ": address " + hex(address)
                        + " is not below the " + arch + " user limit " + hex(limit));
            }
            if (!d.extra().isEmpty()) {
                return new Problem(Layout.PPC_DEBUG, "debug register id 0x" + Integer.toHexString(d.extra().get(0).id())
                        + " is not known to this version (it knows DABR only)");
            }
        }
        return null;
    }

    /**
     * The MSR a restart installs: Linux's user MSR for the task's mode — {@code MSR_USER64}
     * when the image's MSR_SF is set, {@code MSR_USER32} for a 32-bit task on a 64-bit
     * target, a 32-bit kernel's {@code MSR_USER} otherwise — ORed with the FE0/FE1 bits
     * of {@code fpexc_mode} when the task carries an FP section. Nothing else of the
     * image's MSR survives.
     */
    static long userMsr(PowerPcCpu c, boolean target64) {
        long msr;
        if ((c.regs().msr() & PowerPc.MSR_SF) != 0) {
            msr = PowerPc.MSR_USER64;
        } else {
            msr = target64 ? PowerPc.MSR_USER32 : PowerPc.MSR_USER_32BIT_KERNEL;
        }
        if (c.fp() != null) {
            msr |= c.fp().fpexcMode() & PowerPc.FPEXC_MASK;
        }
        return msr;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
