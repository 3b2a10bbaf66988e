package org.ckpt.arch.x86.internal;

import org.ckpt.arch.x86.XFeature;

/**
 * Every number of the x86 image format: record types, payload sizes, and the
 * rules the check phase applies. docs/FORMAT.md §11 documents each and cites
 * where in Linux it comes from.
 */
final class X86Format {
    private X86Format() {
    }

    static final String I386 = "i386";
    static final String X86_64 = "x86_64";

    // ---- record types (0x0100-0x011F) ----
    static final int REGS_X86_64 = 0x0100;
    static final int REGS_I386 = 0x0101;
    static final int FXSAVE = 0x0102;
    static final int XSTATE = 0x0103;
    static final int DEBUGREGS = 0x0104;
    static final int TLS_I386 = 0x0105;
    static final int FPU_EXT = 0x0106;

    static String name(int type) {
        return switch (type) {
            case REGS_X86_64 -> "X86_REGS64";
            case REGS_I386 -> "X86_REGS32";
            case FXSAVE -> "X86_FXSAVE";
            case XSTATE -> "X86_XSTATE";
            case DEBUGREGS -> "X86_DEBUGREGS";
            case TLS_I386 -> "X86_TLS32";
            case FPU_EXT -> "X86_FPU_EXT";
            default -> String.format("0x%04x", type);
        };
    }

    // ---- payload sizes ----
    static final int REGS_X86_64_SIZE = 8 + 27 * 8;   // 224
    static final int REGS_I386_SIZE = 8 + 17 * 4;     // 76
    static final int FXSAVE_SIZE = 368;
    static final int DEBUGREGS_SIZE = 48;
    static final int TLS_ENTRY_SIZE = 16;
    static final int TLS_ENTRIES_I386 = 3;
    static final int ARCH_HEAD_SIZE = 32;
    static final int FPU_EXT_SIZE = 8;

    /** Flag in the regs records: an X86_XSTATE record follows the X86_FXSAVE record. */
    static final long REGS_FLAG_XSTATE = 1;
    /** Flag in the regs records: no X86_DEBUGREGS record, the debug registers are unknown. */
    static final long REGS_FLAG_NO_DEBUG = 2;
    /** Flag in X86_REGS32: no X86_TLS32 record, the TLS descriptors are unknown. */
    static final long REGS_FLAG_NO_TLS = 4;
    /** Flag in the regs records: an X86_FPU_EXT record follows the X86_FXSAVE record. */
    static final long REGS_FLAG_FPU_EXT = 8;
    static final long REGS_FLAGS_KNOWN_64 = REGS_FLAG_XSTATE | REGS_FLAG_NO_DEBUG | REGS_FLAG_FPU_EXT;
    static final long REGS_FLAGS_KNOWN_32 = REGS_FLAGS_KNOWN_64 | REGS_FLAG_NO_TLS;

    /** XCR0 bits a writer of this version declares in the arch head. */
    static final long XFEATURES = XFeature.KNOWN_MASK;

    // ---- eflags (arch/x86/kernel/ptrace.c) ----
    static final long EFLAGS_CF = 0x1;
    static final long EFLAGS_PF = 0x4;
    static final long EFLAGS_AF = 0x10;
    static final long EFLAGS_ZF = 0x40;
    static final long EFLAGS_SF = 0x80;
    static final long EFLAGS_TF = 0x100;
    static final long EFLAGS_DF = 0x400;
    static final long EFLAGS_OF = 0x800;
    static final long EFLAGS_NT = 0x4000;
    static final long EFLAGS_RF = 0x10000;
    static final long EFLAGS_AC = 0x40000;
    /** FLAG_MASK_32: what a native i386 kernel lets ptrace change. 0x50dd5. */
    static final long FLAG_MASK_32 = EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_TF
            | EFLAGS_DF | EFLAGS_OF | EFLAGS_RF | EFLAGS_AC;
    /** FLAG_MASK of an x86_64 kernel (also for compat tasks): FLAG_MASK_32 | NT. 0x54dd5. */
    static final long FLAG_MASK_64 = FLAG_MASK_32 | EFLAGS_NT;
    /** The target default the other bits come from: bit 1 (always one) and IF. */
    static final long EFLAGS_DEFAULT = 0x202;

    // ---- selectors ----
    static final int USER_CS_64 = 0x33;
    static final int USER_DS_64 = 0x2b;
    static final int USER32_CS_COMPAT = 0x23;
    static final int USER_DS_COMPAT = 0x2b;
    static final int USER_CS_NATIVE = 0x73;
    static final int USER_DS_NATIVE = 0x7b;
    static final int TLS_MIN_COMPAT = 12;
    static final int TLS_MIN_NATIVE = 6;

    // ---- user address limits ----
    /** TASK_SIZE_MAX with 4-level paging: (1 << 47) - 4096. */
    static final long LIMIT_X86_64 = 0x7FFF_FFFF_F000L;
    /** TASK_SIZE of a compat task (IA32_PAGE_OFFSET without ADDR_LIMIT_3GB). */
    static final long LIMIT_I386_COMPAT = 0xFFFF_E000L;
    /** TASK_SIZE of a native i386 kernel with the default 3G/1G split (PAGE_OFFSET). */
    static final long LIMIT_I386_NATIVE = 0xC000_0000L;

    // ---- debug registers ----
    static final long DR7_GD = 1L << 13;
    /** Bits ptrace_write_dr7 drops (DR_CONTROL_RESERVED): 10-15 (incl. GD) and 32-63. */
    static final long DR7_RESERVED = 0xFFFF_FFFF_0000_FC00L;
    static final long DR6_RESERVED = 0xFFFF_FFFF_0000_0000L;

    // ---- MXCSR ----
    /** Union of every MXCSR mask CPUs report (Intel 0xffff, AMD 0x2ffff): bits beyond it never load. */
    static final int MXCSR_MASK_MAX = 0x0002_FFFF;
    /** MXCSR.MM (AMD misaligned-SSE exception mask), only on CPUs with the "misalignsse" feature. */
    static final int MXCSR_MM = 1 << 17;
    static final String FEATURE_MISALIGNSSE = "misalignsse";
}
