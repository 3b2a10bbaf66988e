/** PowerPC architecture provider (filled by its own issue). */
module org.ckpt.arch.powerpc {
    requires org.ckpt.spi;
}
