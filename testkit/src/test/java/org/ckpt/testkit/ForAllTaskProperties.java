package org.ckpt.testkit;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.TestChannels;

class ForAllTaskProperties {
    @Property(tries = 50)
    void forAllTaskNeedsNoProvideMethod(@ForAll Task task) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(task, sink);
        List<Task> back = Restarter.builder().build().restart(TestChannels.source(sink.toByteArray())).tasks();
        CkptAssertions.assertThatTasks(back).isEquivalentTo(List.of(task));
    }
}
