package org.ckpt.arch.powerpc;

import java.util.Objects;

/**
 * The Linux {@code struct elf_prstatus} of a PowerPC {@code NT_PRSTATUS} core note:
 * the signal and process header, and the register block {@code pr_reg} as
 * {@link GeneralRegs}. For ppc32 notes every unsigned long is 32 bits, read
 * zero-extended. Conversions: {@link ElfNotes#readPrStatus} and {@link ElfNotes#writePrStatus}.
 *
 * @param siSigno  {@code pr_info.si_signo}
 * @param siCode   {@code pr_info.si_code}
 * @param siErrno  {@code pr_info.si_errno}
 * @param cursig   {@code pr_cursig}: the current signal
 * @param sigpend  {@code pr_sigpend}: pending signals
 * @param sighold  {@code pr_sighold}: blocked signals
 * @param pid      {@code pr_pid}
 * @param ppid     {@code pr_ppid}
 * @param pgrp     {@code pr_pgrp}
 * @param sid      {@code pr_sid}
 * @param utime    {@code pr_utime}
 * @param stime    {@code pr_stime}
 * @param cutime   {@code pr_cutime}
 * @param cstime   {@code pr_cstime}
 * @param regs     {@code pr_reg}: words 0–43 ({@code pt_regs}); words 44–47 are zero
 * @param fpvalid  {@code pr_fpvalid}
 * @since 0.1 (evolving)
 */
public record PrStatus(int siSigno, int siCode, int siErrno, short cursig, long sigpend, long sighold, int pid,
                       int ppid, int pgrp, int sid, Timeval utime, Timeval stime, Timeval cutime, Timeval cstime,
                       GeneralRegs regs, int fpvalid) {
    public PrStatus {
        Objects.requireNonNull(utime, "utime");
        Objects.requireNonNull(stime, "stime");
        Objects.requireNonNull(cutime, "cutime");
        Objects.requireNonNull(cstime, "cstime");
        Objects.requireNonNull(regs, "regs");
    }

    /** A status carrying only {@code regs}: every header field zero. */
    public static PrStatus of(GeneralRegs regs) {
        return new PrStatus(0, 0, 0, (short) 0, 0, 0, 0, 0, 0, 0, Timeval.ZERO, Timeval.ZERO, Timeval.ZERO,
                Timeval.ZERO, regs, 0);
    }

    /**
     * A {@code struct timeval} of the note (two longs: 8 bytes each on ppc64, 4 on ppc32).
     *
     * @param sec  seconds
     * @param usec microseconds
     * @since 0.1 (evolving)
     */
    public record Timeval(long sec, long usec) {
        /** Zero seconds, zero microseconds. */
        public static final Timeval ZERO = new Timeval(0, 0);
    }
}
