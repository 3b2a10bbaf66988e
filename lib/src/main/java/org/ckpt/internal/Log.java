package org.ckpt.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One logger per area, as the kernel series had one debug flag per area. */
public final class Log {
    public static final Logger SYS = LoggerFactory.getLogger("org.ckpt.sys");
    public static final Logger RW = LoggerFactory.getLogger("org.ckpt.rw");
    public static final Logger OBJ = LoggerFactory.getLogger("org.ckpt.obj");
    public static final Logger MEM = LoggerFactory.getLogger("org.ckpt.mem");
    public static final Logger FILE = LoggerFactory.getLogger("org.ckpt.file");
    public static final Logger ARCH = LoggerFactory.getLogger("org.ckpt.arch");

    private Log() {
    }
}
