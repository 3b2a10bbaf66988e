package org.ckpt.arch.powerpc.internal;

import org.ckpt.arch.powerpc.GeneralRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcDebugRegs;

/**
 * The register rules of both restore policies, in one place so that a checkpoint and a
 * restart apply the same ones (through {@link PowerPcArchProvider#check}), and the MSR a
 * {@code LINUX_USER} restart rebuilds. docs/FORMAT.md §12.6 lists them.
 */
final class Rules {
    /**
     * One broken rule: the record holding the register, whether the image is merely beyond
     * this version ({@code UnsupportedImageException}) rather than wrong, and a message naming
     * register, value and rule.
     */
    record Problem(int recordType, boolean unsupported, String message) {
    }

    /** Words of a ppc32 state that a 32-bit register file holds in 32 bits: all of them. */
    private static final long HIGH_WORD = 0xFFFF_FFFF_0000_0000L;

    private Rules() {
    }

    /**
     * Under either policy: what {@link PowerPcArchProvider#restoreCpu} rejects in the records
     * {@link PowerPcArchProvider#checkpointCpu} writes for {@code c}, with the same reason, so
     * that a checkpoint refuses exactly what its restart would. Everything else the reader
     * rejects (sizes, reserved fields, feature combinations) the value types cannot hold.
     */
    static Problem structuralProblem(PowerPcCpuState c) {
        PowerPcDebugRegs d = c.debug();
        if (d != null && !d.extra().isEmpty()) {
            return new Problem(Layout.PPC_DEBUG, true,
                    unknownDebugRegister(Integer.toUnsignedLong(d.extra().get(0).id())));
        }
        return null;
    }

    /** The reason a further debug register is refused: this version defines none. */
    static String unknownDebugRegister(long id) {
        return "debug register id 0x" + Long.toHexString(id) + " is not known to this reader (it knows DABR only)";
    }

    /**
     * The {@code EXACT} rules beyond the structural ones: a {@code ppc32} state is a 32-bit
     * register file — every {@code pt_regs} word and DABR within 32 bits, so MSR_SF clear —
     * as a 32-bit CPU, 32-bit ptrace and the ppc32 {@code NT_PRSTATUS} hold it. A 64-bit CPU
     * running 32-bit code is a {@code ppc64} state (with MSR_SF clear, which EXACT accepts).
     * Nothing else is checked: every value comes back as saved.
     */
    static Problem exactProblem(PowerPcCpuState c) {
        if (c.is64Bit()) {
            return null;
        }
        long[] words = c.regs().toWords();
        for (int i = 0; i < words.length; i++) {
            if ((words[i] & HIGH_WORD) != 0) {
                return new Problem(Layout.PPC_REGS, false, "register " + GeneralRegs.wordName(i) + " = "
                        + hex(words[i]) + " does not fit 32 bits: " + WIDTH_RULE);
            }
        }
        if (c.debug() != null && (c.debug().dabr() & HIGH_WORD) != 0) {
            return new Problem(Layout.PPC_DEBUG, false, "register dabr = " + hex(c.debug().dabr())
                    + " does not fit 32 bits: " + WIDTH_RULE);
        }
        return null;
    }

    private static final String WIDTH_RULE = "under EXACT a ppc32 state is a 32-bit register file, as a 32-bit "
            + "CPU and the ppc32 NT_PRSTATUS hold it (a 64-bit CPU running 32-bit code is a ppc64 state with "
            + "MSR_SF clear)";

    /**
     * The {@code LINUX_USER} rules beyond the structural ones: the MSR mode bit matches the
     * architecture, nip is a user address, {@code fpexc_mode} holds only FE0/FE1, a non-zero
     * DABR is translated and points below the user limit.
     */
    static Problem linuxUserProblem(PowerPcCpuState c) {
        String arch = c.architecture();
        long msr = c.regs().msr();
        boolean sf = (msr & PowerPc.MSR_SF) != 0;
        if (sf != c.is64Bit()) {
            return new Problem(Layout.PPC_REGS, false, "register msr = " + hex(msr) + ": MSR_SF (bit 63, 64-bit "
                    + "mode) is " + (sf ? "set in a ppc32" : "clear in a ppc64") + " image; under LINUX_USER the "
                    + "mode bit must match the task's bitness (it is the only MSR bit a restart takes from the image)");
        }
        long limit = PowerPc.userAddressLimit(arch);
        long nip = c.regs().nip();
        if (Long.compareUnsigned(nip, limit) >= 0) {
            return new Problem(Layout.PPC_REGS, false, "register nip = " + hex(nip) + " is not a user address: "
                    + "under LINUX_USER it must lie below the " + arch + " user limit " + hex(limit));
        }
        if (c.fp() != null && (c.fp().fpexcMode() & ~PowerPc.FPEXC_MASK) != 0) {
            return new Problem(Layout.PPC_FP, false, "fpexc_mode = " + hex(c.fp().fpexcMode()) + ": under "
                    + "LINUX_USER only MSR_FE0 (0x800) and MSR_FE1 (0x100) may be set, as Linux keeps the "
                    + "PR_SET_FPEXC mode as those MSR bits");
        }
        PowerPcDebugRegs d = c.debug();
        if (d != null) {
            long dabr = d.dabr();
            if (dabr != 0 && (dabr & PowerPc.DABR_TRANSLATION) == 0) {
                return new Problem(Layout.PPC_DEBUG, false, "register dabr = " + hex(dabr) + ": under LINUX_USER "
                        + "a non-zero DABR must have DABR_TRANSLATION (bit 2, 0x4) set, or it would match "
                        + "untranslated (real-mode) addresses");
            }
            long address = dabr & ~PowerPc.DABR_FLAGS;
            if (Long.compareUnsigned(address, limit) >= 0) {
                return new Problem(Layout.PPC_DEBUG, false, "register dabr = " + hex(dabr) + ": address "
                        + hex(address) + " is not below the " + arch + " user limit " + hex(limit)
                        + " (LINUX_USER)");
            }
        }
        return null;
    }

    /**
     * The MSR a {@code LINUX_USER} restart installs: Linux's user MSR for the task's mode —
     * {@code MSR_USER64} for a {@code ppc64} task; for a {@code ppc32} task the 32-bit value
     * a 32-bit view shows on any kernel, {@code MSR_USER_PPC32} (a 32-bit kernel's
     * {@code MSR_USER}, the low word of a 64-bit kernel's {@code MSR_USER32}) — ORed with the
     * FE0/FE1 bits of {@code fpexc_mode} when the task carries an FP section. Nothing else of
     * the image's MSR survives. The target's bitness does not matter: a 32-bit task stays 32-bit.
     */
    static long userMsr(PowerPcCpuState c) {
        long msr = c.is64Bit() ? PowerPc.MSR_USER64 : PowerPc.MSR_USER_PPC32;
        if (c.fp() != null) {
            msr |= c.fp().fpexcMode() & PowerPc.FPEXC_MASK;
        }
        return msr;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
