package org.ckpt.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.SecretKey;
import org.ckpt.Checkpointer;
import org.ckpt.KeyFiles;
import org.ckpt.Restarter;

/**
 * The key options of sealed and encrypted images (docs/FORMAT.md §17): {@code --seal-key} and
 * {@code --encrypt-key} of {@code dump}, {@code --trust-key} and {@code --decrypt-key} of the
 * commands that read images. A value is {@code [ID=]FILE}, several joined by commas where a
 * command takes several. A file holds an Ed25519 key as PEM ({@code -----BEGIN PRIVATE KEY-----}
 * PKCS#8, {@code -----BEGIN PUBLIC KEY-----} X.509: what {@code openssl genpkey -algorithm
 * ed25519} and {@code openssl pkey -pubout} write), or a secret as raw bytes or base64 text — an
 * HMAC-SHA-256 secret of at least 32 bytes for seals, a 32-byte AES-256 key for encryption.
 * Without {@code ID=} the key id is derived from the key ({@link KeyFiles#keyId}), the same for a
 * private key and its public key, so both sides of a seal agree without naming it.
 */
final class KeyOptions {
    static final String FORMATS = "[ID=]FILE: an Ed25519 key as PEM (PKCS#8 private, X.509 public) or a secret as raw "
            + "bytes or base64; ID names the key (default: derived from the key, e.g. ed25519:1a2b…)";

    /** A key file and the id it goes by. */
    record Named(String keyId, Key key, Path file) {
    }

    /** What the reading commands were given: trusted keys and decryption keys, none by default. */
    record Reading(List<Named> trusted, List<Named> decryption) {
        static final Reading NONE = new Reading(List.of(), List.of());

        static Reading of(Spec.Parsed a) throws CliException {
            return new Reading(a.has("--trust-key") ? load(a.string("--trust-key"), "--trust-key", Use.TRUST)
                    : List.of(), a.has("--decrypt-key") ? load(a.string("--decrypt-key"), "--decrypt-key", Use.AES)
                    : List.of());
        }

        void apply(Restarter.Builder b) {
            for (Named n : trusted) {
                if (n.key() instanceof PublicKey pub) {
                    b.trust(n.keyId(), pub);
                } else {
                    b.trust(n.keyId(), (SecretKey) n.key());
                }
            }
            for (Named n : decryption) {
                b.decryptionKey(n.keyId(), (SecretKey) n.key());
            }
        }

        boolean trusts() {
            return !trusted.isEmpty();
        }

        /** These keys and {@code key} to decrypt with too (a dump's --encrypt-key reading its parent). */
        Reading decryptingWith(Named key) {
            if (key == null) {
                return this;
            }
            List<Named> all = new ArrayList<>(decryption);
            all.add(key);
            return new Reading(trusted, List.copyOf(all));
        }
    }

    /** What {@code dump} was given: a seal key and an encryption key, either may be null. */
    record Writing(Named seal, Named encrypt) {
        static final Writing NONE = new Writing(null, null);

        static Writing of(Spec.Parsed a) throws CliException {
            return new Writing(a.has("--seal-key") ? one(a.string("--seal-key"), "--seal-key", Use.SEAL) : null,
                    a.has("--encrypt-key") ? one(a.string("--encrypt-key"), "--encrypt-key", Use.AES) : null);
        }

        void apply(Checkpointer.Builder b) {
            if (seal != null) {
                if (seal.key() instanceof PrivateKey priv) {
                    b.seal(seal.keyId(), priv);
                } else {
                    b.seal(seal.keyId(), (SecretKey) seal.key());
                }
            }
            if (encrypt != null) {
                b.encrypt(encrypt.keyId(), (SecretKey) encrypt.key());
            }
        }

        /** One line for the dump's summary, or null. */
        String describe() {
            List<String> parts = new ArrayList<>();
            if (seal != null) {
                parts.add("sealed (" + (seal.key() instanceof PrivateKey ? "Ed25519" : "HMAC-SHA-256") + ") by key id "
                        + seal.keyId());
            }
            if (encrypt != null) {
                parts.add("encrypted (AES-256-GCM) under key id " + encrypt.keyId());
            }
            return parts.isEmpty() ? null : String.join(", ", parts);
        }
    }

    private enum Use {
        SEAL, TRUST, AES
    }

    private KeyOptions() {
    }

    private static Named one(String value, String option, Use use) throws CliException {
        List<Named> all = load(value, option, use);
        if (all.size() != 1) {
            throw CliException.usage("option " + option + " takes one key, not " + all.size());
        }
        return all.get(0);
    }

    private static List<Named> load(String value, String option, Use use) throws CliException {
        List<Named> out = new ArrayList<>();
        for (String item : value.split(",")) {
            if (item.isBlank()) {
                throw CliException.usage("invalid value for option " + option + ": '" + value + "' (" + FORMATS + ")");
            }
            int eq = item.indexOf('=');
            String id = eq > 0 ? item.substring(0, eq) : null;
            Path file = Path.of(eq > 0 ? item.substring(eq + 1) : item);
            Key key = read(file, option, use);
            try {
                String keyId = id != null ? id : KeyFiles.keyId(key);
                check(use, keyId, key);
                out.add(new Named(keyId, key, file));
            } catch (IllegalArgumentException e) {
                throw CliException.usage(option + " " + file + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** The checks the library's builders make, made here so a bad key is a usage error (exit 2). */
    private static void check(Use use, String keyId, Key key) {
        switch (use) {
            case SEAL -> {
                if (key instanceof PrivateKey p) {
                    Checkpointer.builder().seal(keyId, p);
                } else {
                    Checkpointer.builder().seal(keyId, (SecretKey) key);
                }
            }
            case TRUST -> {
                if (key instanceof PublicKey p) {
                    Restarter.builder().trust(keyId, p);
                } else {
                    Restarter.builder().trust(keyId, (SecretKey) key);
                }
            }
            case AES -> Restarter.builder().decryptionKey(keyId, (SecretKey) key);
        }
    }

    private static Key read(Path file, String option, Use use) throws CliException {
        try {
            String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            if (text.contains("-----BEGIN PRIVATE KEY-----")) {
                if (use == Use.AES) {
                    throw CliException.usage(option + " " + file + ": an Ed25519 key cannot encrypt; give an AES-256 key"
                            + " (32 bytes, raw or base64)");
                }
                PrivateKey priv = KeyFiles.readPrivateKey(file);
                // A host may trust a seal with the private key's file too: its public key verifies.
                return use == Use.TRUST ? KeyFiles.publicOf(priv) : priv;
            }
            if (text.contains("-----BEGIN PUBLIC KEY-----")) {
                if (use != Use.TRUST) {
                    throw CliException.usage(option + " " + file + ": a public key " + (use == Use.SEAL
                            ? "cannot seal; give the private key (PKCS#8 PEM) or an HMAC secret"
                            : "cannot encrypt; give an AES-256 key (32 bytes, raw or base64)"));
                }
                return KeyFiles.readPublicKey(file);
            }
            return KeyFiles.readSecret(file, use == Use.AES ? "AES" : "HmacSHA256");
        } catch (NoSuchFileException e) {
            throw CliException.usage(option + ": no such key file: " + file);
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(option + " " + file + ": " + e.getMessage());
        }
    }
}
