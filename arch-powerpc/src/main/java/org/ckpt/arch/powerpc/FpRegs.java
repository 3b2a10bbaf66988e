package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The FP section: the classic floating-point registers as their 64-bit IEEE images,
 * FPSCR, and Linux's per-thread FP exception mode.
 *
 * @param fpr        fr0–fr31 as raw 64-bit images (32 values; copied in and out); with
 *                   VSX these are doubleword 0 of vs0–vs31
 * @param fpscr      FPSCR as the 64-bit doubleword {@code NT_PRFPREG} holds
 * @param fpexcMode  Linux's {@code thread.fpexc_mode}: the {@code PR_SET_FPEXC} mode kept
 *                   as MSR bits, so only {@link PowerPc#MSR_FE0} and {@link PowerPc#MSR_FE1}
 *                   ({@link PowerPc#FPEXC_MASK}) may be set; a restart ORs them into the
 *                   rebuilt MSR as Linux's {@code get_user_msr} does
 * @since 0.1 (evolving)
 */
public record FpRegs(long[] fpr, long fpscr, long fpexcMode) {
    /** Number of floating-point registers. */
    public static final int FPR_COUNT = 32;

    public FpRegs {
        Objects.requireNonNull(fpr, "fpr");
        if (fpr.length != FPR_COUNT) {
            throw new IllegalArgumentException("fpr must hold 32 registers, not " + fpr.length);
        }
        fpr = fpr.clone();
    }

    /** A copy of fr0–fr31. */
    @Override
    public long[] fpr() {
        return fpr.clone();
    }

    /** The raw image of fr{@code n}. */
    public long fpr(int n) {
        return fpr[n];
    }

    /** A copy with {@code fpexcMode} replaced. */
    public FpRegs withFpexcMode(long value) {
        return new FpRegs(fpr, fpscr, value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FpRegs f && Arrays.equals(fpr, f.fpr) && fpscr == f.fpscr && fpexcMode == f.fpexcMode;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(fpr) * 31 + Long.hashCode(fpscr)) * 31 + Long.hashCode(fpexcMode);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("FpRegs[");
        for (int i = 0; i < FPR_COUNT; i++) {
            sb.append("fr").append(i).append("=0x").append(Long.toHexString(fpr[i])).append(", ");
        }
        return sb.append("fpscr=0x").append(Long.toHexString(fpscr)).append(", fpexc_mode=0x")
                .append(Long.toHexString(fpexcMode)).append(']').toString();
    }
}
