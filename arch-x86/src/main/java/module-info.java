/** x86 architecture provider (i386, x86_64). Exports nothing; found through ServiceLoader. */
@SuppressWarnings("module") // the name org.ckpt.arch.x86 is fixed by the architecture document
module org.ckpt.arch.x86 {
    requires org.ckpt.spi;
}
