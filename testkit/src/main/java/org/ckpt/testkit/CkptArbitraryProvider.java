package org.ckpt.testkit;

import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.providers.ArbitraryProvider;
import net.jqwik.api.providers.TypeUsage;
import org.ckpt.model.Task;

/**
 * Lets a property say {@code @ForAll Task task} with no {@code @Provide} method;
 * registered in {@code META-INF/services/net.jqwik.api.providers.ArbitraryProvider}.
 * Tasks have no CPU state (use {@link Generators#taskSets(Arbitrary)} for that).
 *
 * @since 0.1 (evolving)
 */
public final class CkptArbitraryProvider implements ArbitraryProvider {
    @Override
    public boolean canProvideFor(TypeUsage targetType) {
        return targetType.isOfType(Task.class);
    }

    @Override
    public Set<Arbitrary<?>> provideFor(TypeUsage targetType, SubtypeProvider subtypeProvider) {
        return Set.of(Generators.tasks());
    }
}
