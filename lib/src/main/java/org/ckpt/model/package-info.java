/**
 * The task model: what an image holds, as immutable values. A checkpoint reads
 * it; a restart builds it. Objects are shared by identity.
 */
package org.ckpt.model;
