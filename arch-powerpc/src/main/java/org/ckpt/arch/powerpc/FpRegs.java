package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The FP section: the classic floating-point registers as their 64-bit IEEE images,
 * FPSCR, and Linux's per-thread FP exception mode. Build one with {@link #builder()}
 * (everything zero unless set).
 *
 * @param fpr        fr0–fr31 as raw 64-bit images (32 values; copied in and out); with
 *                   VSX these are doubleword 0 of vs0–vs31
 * @param fpscr      FPSCR as the 64-bit doubleword {@code NT_PRFPREG} holds (the classic
 *                   32-bit FPSCR in the low word; POWER6 and later keep DRN in the high word)
 * @param fpexcMode  Linux's {@code thread.fpexc_mode}: the {@code PR_SET_FPEXC} mode kept
 *                   as MSR bits. Under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} only
 *                   {@link PowerPc#MSR_FE0} and {@link PowerPc#MSR_FE1}
 *                   ({@link PowerPc#FPEXC_MASK}) may be set and a restart ORs them into the
 *                   rebuilt MSR as Linux's {@code get_user_msr} does; under
 *                   {@link org.ckpt.spi.RestorePolicy#EXACT} it is carried as saved. A host
 *                   without a Linux kernel leaves it 0.
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

    /**
     * A builder with every register, FPSCR and {@code fpexcMode} zero.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(new long[FPR_COUNT], 0, 0);
    }

    /**
     * A builder holding these values.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(fpr.clone(), fpscr, fpexcMode);
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

    /**
     * A copy with {@code fpscr} replaced.
     *
     * @since 0.2
     */
    public FpRegs withFpscr(long value) {
        return new FpRegs(fpr, value, fpexcMode);
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

    /**
     * Builds {@link FpRegs}; everything is zero unless set.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final long[] fpr;
        private long fpscr;
        private long fpexcMode;

        private Builder(long[] fpr, long fpscr, long fpexcMode) {
            this.fpr = fpr;
            this.fpscr = fpscr;
            this.fpexcMode = fpexcMode;
        }

        /**
         * The raw 64-bit image of fr{@code n} (0–31); for a double {@code d} pass
         * {@code Double.doubleToRawLongBits(d)}.
         */
        public Builder fpr(int n, long image) {
            fpr[Objects.checkIndex(n, FPR_COUNT)] = image;
            return this;
        }

        /** fr0–fr31 at once as raw images (32 values, copied). */
        public Builder fpr(long[] images) {
            if (images.length != FPR_COUNT) {
                throw new IllegalArgumentException("fpr must hold 32 registers, not " + images.length);
            }
            System.arraycopy(images, 0, fpr, 0, FPR_COUNT);
            return this;
        }

        /** FPSCR as a 64-bit doubleword. */
        public Builder fpscr(long value) {
            fpscr = value;
            return this;
        }

        /** Linux's {@code fpexc_mode} (see {@link FpRegs#fpexcMode()}). */
        public Builder fpexcMode(long value) {
            fpexcMode = value;
            return this;
        }

        public FpRegs build() {
            return new FpRegs(fpr, fpscr, fpexcMode);
        }
    }
}
