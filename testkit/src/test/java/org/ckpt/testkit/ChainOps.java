package org.ckpt.testkit;

import java.io.IOException;
import java.util.function.BiConsumer;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;

/** A host object type whose objects form chains: deep object graphs without a deep stack. */
final class ChainOps implements ObjectOps<ChainOps.Node> {
    record Node(int value, Node next) {
    }

    @Override
    public String typeName() {
        return "test.chain";
    }

    @Override
    public Class<Node> type() {
        return Node.class;
    }

    @Override
    public void forEachReference(Node node, BiConsumer<String, Object> references) {
        references.accept("next", node.next());
    }

    @Override
    public void checkpoint(Node node, CkptContext ctx, PayloadWriter body) throws IOException {
        body.i32(node.value()).u64(ctx.checkpointObject(node.next()));
    }

    @Override
    public Node restore(CkptContext ctx, PayloadReader body) throws IOException {
        int value = body.i32("value");
        return new Node(value, ctx.restoreObject(body.u64("next"), Node.class, true, "next"));
    }
}
