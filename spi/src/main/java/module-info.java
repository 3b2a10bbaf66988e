/**
 * What providers implement and call: {@link org.ckpt.spi.ArchProvider},
 * {@link org.ckpt.spi.ObjectOps}, {@link org.ckpt.spi.CkptContext}, the record
 * reader/writer interfaces and the image exceptions.
 */
module org.ckpt.spi {
    exports org.ckpt.spi;
}
