package org.ckpt.arch.x86;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The extended processor state beyond FXSAVE: the XCR0 the task ran with, the
 * XSTATE_BV of its save area, and one save area per extended feature enabled in
 * XCR0 (AVX upper halves, MPX, AVX-512, PKRU, AMX), each with its architectural size
 * and independent of where a particular CPU places it. A component whose XSTATE_BV
 * bit is clear is in its initial state; its bytes are carried anyway, as Linux's
 * {@code NT_X86_XSTATE} reports them.
 *
 * @param xcr0       enabled user features; a valid XCR0 ({@link XFeature#xcr0Problem})
 * @param xstateBv   features not in their initial state; a subset of {@code xcr0}
 * @param components exactly one per extended feature of {@code xcr0}, in bit order
 * @since 0.1 (stable)
 */
public record XSave(long xcr0, long xstateBv, List<Component> components) {

    /**
     * The save area of one extended feature.
     *
     * @param feature which one
     * @param data    exactly {@code feature.size()} bytes, in the CPU's byte order
     * @since 0.1 (stable)
     */
    public record Component(XFeature feature, byte[] data) {
        public Component {
            Objects.requireNonNull(feature, "feature");
            if (!feature.isExtended()) {
                throw new IllegalArgumentException(feature + " lives in the FXSAVE area, not in an XSAVE component");
            }
            data = Hex.length(feature.name() + " data", data, feature.size());
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Component c && feature == c.feature && Arrays.equals(data, c.data);
        }

        @Override
        public int hashCode() {
            return feature.hashCode() * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Component[" + feature + ", " + Hex.bytes(data) + "]";
        }
    }

    public XSave {
        String problem = XFeature.xcr0Problem(xcr0);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if ((xstateBv & ~xcr0) != 0) {
            throw new IllegalArgumentException("xstate_bv 0x" + Long.toHexString(xstateBv)
                    + " has bits outside xcr0 0x" + Long.toHexString(xcr0));
        }
        components = List.copyOf(components);
        List<XFeature> want = XFeature.extended(xcr0);
        if (components.size() != want.size()) {
            throw new IllegalArgumentException("xcr0 0x" + Long.toHexString(xcr0) + " needs components " + want
                    + ", got " + components.size());
        }
        for (int i = 0; i < want.size(); i++) {
            if (components.get(i).feature() != want.get(i)) {
                throw new IllegalArgumentException("component " + i + " must be " + want.get(i) + ", got "
                        + components.get(i).feature());
            }
        }
    }

    /** Every extended component of {@code xcr0} zero-filled (their initial state), XSTATE_BV = x87|SSE bits of xcr0. */
    public static XSave initial(long xcr0) {
        List<Component> c = XFeature.extended(xcr0).stream()
                .map(f -> new Component(f, new byte[f.size()])).toList();
        return new XSave(xcr0, xcr0 & XFeature.LEGACY_MASK, c);
    }

    /** A copy with another XSTATE_BV (a subset of {@code xcr0}). @since 0.2 */
    public XSave withXstateBv(long v) {
        return new XSave(xcr0, v, components);
    }

    /** A copy with the save area of {@code feature} (enabled in {@code xcr0}) replaced. @since 0.2 */
    public XSave withData(XFeature feature, byte[] data) {
        List<Component> c = new java.util.ArrayList<>(components);
        for (int i = 0; i < c.size(); i++) {
            if (c.get(i).feature() == feature) {
                c.set(i, new Component(feature, data));
                return new XSave(xcr0, xstateBv, c);
            }
        }
        throw new IllegalArgumentException(feature + " is not enabled in xcr0 0x" + Long.toHexString(xcr0));
    }

    /** The save area of {@code feature}, or {@code null} if XCR0 does not enable it. */
    public byte[] data(XFeature feature) {
        for (Component c : components) {
            if (c.feature() == feature) {
                return c.data();
            }
        }
        return null;
    }
}
