package org.ckpt.arch.x86;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/** The real-process core-note fixtures and their expected values (src/test/resources/fixtures). */
public final class Fixtures {
    private static final Properties EXPECTED = new Properties();

    static {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/expected.properties")) {
            EXPECTED.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Fixtures() {
    }

    /** The payload of note {@code nt} (e.g. "NT_PRSTATUS") of {@code arch}-{@code route}. */
    public static byte[] note(String arch, String route, String nt) {
        String name = "/fixtures/" + arch + "-" + route + "-" + nt + ".bin";
        try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The expected value of {@code key} for the route (route-specific key first, then the general one). */
    public static String expected(String arch, String route, String key) {
        String v = EXPECTED.getProperty(arch + "." + route + "." + key);
        if (v == null) {
            v = EXPECTED.getProperty(arch + "." + key);
        }
        if (v == null) {
            throw new IllegalArgumentException("no expected value " + arch + "[." + route + "]." + key);
        }
        return v.trim();
    }

    public static long num(String arch, String route, String key) {
        String v = expected(arch, route, key);
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
    }

    public static byte[] bytes(String arch, String route, String key) {
        return HexFormat.of().parseHex(expected(arch, route, key));
    }

    /** x86_64 state of a route, from NT_PRSTATUS, NT_FPREGSET and NT_X86_XSTATE (with the kernel's layout note). */
    public static X86_64State x86_64(String route) {
        X86_64Regs regs = (X86_64Regs) X86ElfNotes.readPrStatus("x86_64", note("x86_64", route, "NT_PRSTATUS"));
        FxSave fx = X86ElfNotes.readFpRegs(note("x86_64", route, "NT_FPREGSET"));
        X86ElfNotes.XState xs = X86ElfNotes.readXState(note("x86_64", route, "NT_X86_XSTATE"), layout("x86_64", route));
        return new X86_64State(regs, fx, xs.xsave(), X86DebugRegs.NONE);
    }

    /** i386 state of the kernel route (PRSTATUS, PRXFPREG, XSTATE, 386_TLS). */
    public static I386State i386Kernel() {
        I386Regs regs = (I386Regs) X86ElfNotes.readPrStatus("i386", note("i386", "kernel", "NT_PRSTATUS"));
        FxSave fx = X86ElfNotes.readFpRegs(note("i386", "kernel", "NT_PRXFPREG"));
        X86ElfNotes.XState xs = X86ElfNotes.readXState(note("i386", "kernel", "NT_X86_XSTATE"), layout("i386", "kernel"));
        List<UserDesc> tls = X86ElfNotes.readTls(note("i386", "kernel", "NT_386_TLS"));
        return new I386State(regs, fx, xs.xsave(), X86DebugRegs.NONE, tls);
    }

    public static XSaveLayout layout(String arch, String route) {
        return route.equals("kernel") ? XSaveLayout.fromNote(note(arch, route, "NT_X86_XSAVE_LAYOUT"))
                : XSaveLayout.standard();
    }
}
