package org.ckpt.cli;

import java.io.IOException;
import java.nio.file.Path;

/** What a socket descriptor is, from the process's own network namespace ({@code /proc/PID/net}). */
final class Sockets {
    private static final String[] TCP_STATES = {"?", "established", "syn-sent", "syn-recv", "fin-wait1",
        "fin-wait2", "time-wait", "close", "close-wait", "last-ack", "listen", "closing"};

    private Sockets() {
    }

    /** ", unix stream, /run/x.sock", ", tcp 127.0.0.1:8080 listen", ... or "" when unknown. */
    static String describe(int pid, String target) {
        String ino = target.substring(target.indexOf('[') + 1, target.length() - 1);
        Path net = ProcFs.dir(pid).resolve("net");
        String u = unix(net, ino);
        if (u != null) {
            return u;
        }
        for (String proto : new String[] {"tcp", "tcp6", "udp", "udp6", "raw", "raw6"}) {
            String s = inet(net, proto, ino);
            if (s != null) {
                return s;
            }
        }
        for (String proto : new String[] {"netlink", "packet"}) {
            if (contains(net.resolve(proto), ino)) {
                return ", " + proto;
            }
        }
        return "";
    }

    private static String unix(Path net, String ino) {
        try {
            for (String line : ProcFs.read(net.resolve("unix")).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 7 && f[6].equals(ino)) {
                    String type = switch (f[4]) {
                        case "0001" -> "stream";
                        case "0002" -> "datagram";
                        case "0005" -> "seqpacket";
                        default -> "type " + f[4];
                    };
                    String state = f[5].equals("03") ? "connected" : f[5].equals("01") ? "unconnected" : "state " + f[5];
                    return ", unix " + type + ", " + state + (f.length > 7 ? ", " + f[7] : "");
                }
            }
        } catch (IOException e) {
            // no such table
        }
        return null;
    }

    private static String inet(Path net, String proto, String ino) {
        try {
            for (String line : ProcFs.read(net.resolve(proto)).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 10 && f[9].equals(ino)) {
                    int st = Integer.parseInt(f[3], 16);
                    String state = proto.startsWith("tcp") && st < TCP_STATES.length ? " " + TCP_STATES[st] : "";
                    return ", " + proto + " " + address(f[1]) + " -> " + address(f[2]) + state;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no such table
        }
        return null;
    }

    /** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 stays hex. */
    private static String address(String hex) {
        String[] p = hex.split(":");
        int port = Integer.parseInt(p[1], 16);
        if (p[0].length() == 8) {
            long a = Long.parseLong(p[0], 16);
            return (a & 0xFF) + "." + ((a >> 8) & 0xFF) + "." + ((a >> 16) & 0xFF) + "." + ((a >> 24) & 0xFF) + ":" + port;
        }
        return "[" + p[0].toLowerCase(java.util.Locale.ROOT) + "]:" + port;
    }

    private static boolean contains(Path table, String ino) {
        try {
            for (String line : ProcFs.read(table).split("\n")) {
                for (String f : line.trim().split("\\s+")) {
                    if (f.equals(ino)) {
                        return true;
                    }
                }
            }
        } catch (IOException e) {
            // no such table
        }
        return false;
    }
}
