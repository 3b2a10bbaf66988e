/**
 * The public API: {@link org.ckpt.Checkpointer} writes tasks as an image,
 * {@link org.ckpt.Restarter} reads one back, validated, into the model or a
 * {@link org.ckpt.RestartTarget}.
 */
package org.ckpt;
