package org.ckpt.testkit.contract;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Generators;
import org.ckpt.testkit.arch.PowerPcStates;

/** The PowerPC provider (ppc32, ppc64) through the same contract a third-party provider passes. */
class PowerPcArchProviderContractTest implements ArchProviderContract {
    private static final int PPC_REGS = 0x0120;

    @Override
    public ArchProvider provider() {
        return ArchProviderContract.discovered("ppc64");
    }

    @Override
    public Arbitrary<? extends CpuState> states(String architecture) {
        return Generators.cpuStates(architecture);
    }

    @Override
    public String architecture32() {
        return PowerPc.PPC32;
    }

    @Override
    public String architecture64() {
        return PowerPc.PPC64;
    }

    /**
     * The LINUX_USER check phase rebuilds the MSR for the task's mode — the 32-bit value for a
     * ppc32 task, whatever the target — and changes nothing else.
     */
    @Override
    public CpuState afterRestart(CpuState state, TargetCpu target) {
        return PowerPcStates.withUserMsr((PowerPcCpuState) state);
    }

    /** Every register over its whole width, rule boundaries mixed in (see {@link PowerPcStates#anyCpu}). */
    @Override
    public Arbitrary<? extends CpuState> anyStates(String architecture) {
        return PowerPcStates.anyCpu(architecture);
    }

    @Override
    public Set<String> featuresUsed(CpuState state) {
        Set<String> used = new TreeSet<>();
        for (long m = ((PowerPcCpuState) state).features(); m != 0; m &= m - 1) {
            String f = PowerPc.targetFeature(Long.lowestOneBit(m));
            if (f != null) {
                used.add(f);
            }
        }
        return used;
    }

    @Override
    public List<FeatureField> featureFields(String architecture) {
        long head = architecture.equals(PowerPc.PPC64) ? 0x17 : 0x1F;
        return List.of(new FeatureField(RecordTypes.ARCH_HEAD, 8, head), new FeatureField(PPC_REGS, 8, 0x1F));
    }
}
