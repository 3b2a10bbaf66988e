package org.ckpt.testkit.contract;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.arch.x86.XFeature;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.arch.X86States;

/** The x86 provider (i386, x86_64) through the same contract a third-party provider passes. */
class X86ArchProviderContractTest implements ArchProviderContract {
    private static final int MXCSR_MM = 1 << 17;

    @Override
    public ArchProvider provider() {
        return ArchProviderContract.discovered("x86_64");
    }

    /** Valid states with every optional part present or absent, FCS/FDS and full tag words included. */
    @Override
    public Arbitrary<? extends CpuState> states(String architecture) {
        return X86States.cpu(architecture).withoutEdgeCases();
    }

    /** Every register over its whole width, optional parts present or absent, the rules' boundaries often. */
    @Override
    public Arbitrary<? extends CpuState> anyStates(String architecture) {
        return X86States.anyCpu(architecture);
    }

    @Override
    public String architecture32() {
        return "i386";
    }

    @Override
    public String architecture64() {
        return "x86_64";
    }

    /** Unchanged on its own architecture; in compat mode only if it already has the compat layout (CS 0x23). */
    @Override
    public CpuState afterRestart(CpuState state, TargetCpu target) {
        if (target.architecture().equals(state.architecture()) && target.allFeatures()) {
            return state;
        }
        return state instanceof I386State s && target.architecture().equals("x86_64") && s.regs().cs() == 0x23
                ? state : null;
    }

    /** A compat-mode i386 state (CS 0x23) came from an x86_64 kernel and goes back to one. */
    @Override
    public String featureTargetArchitecture(CpuState state) {
        return state instanceof I386State s && s.regs().cs() == 0x23 ? "x86_64" : state.architecture();
    }

    @Override
    public Set<String> featuresUsed(CpuState state) {
        X86CpuState s = (X86CpuState) state;
        Set<String> used = new TreeSet<>();
        if (s.xsave() != null) {
            XFeature.extended(s.xsave().xcr0()).forEach(f -> used.add(f.targetFeature()));
        }
        if ((s.fpu().mxcsr() & MXCSR_MM) != 0) {
            used.add("misalignsse");
        }
        return used;
    }

    @Override
    public List<FeatureField> featureFields(String architecture) {
        return List.of(new FeatureField(RecordTypes.ARCH_HEAD, 16, 0x602FFL));
    }
}
