package io.castvault.evidence;

import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code scripts/verify --dir DIR | --s3  --org ORG --allowed-signers FILE [--since DATE] [--json]}: the offline
 * verifier. No database, no service: a bucket (or its copy) and the org's published keys. Exit 0 only when
 * nothing was found; 1 on findings; 2 on bad usage.
 */
public final class VerifyCli {
    private VerifyCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Path dir = null;
        boolean s3 = false;
        UUID org = null;
        Path signers = null;
        Instant since = null;
        boolean json = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
                    case "--s3" -> s3 = true;
                    case "--org" -> org = UUID.fromString(value(args, ++i, "--org"));
                    case "--allowed-signers" -> signers = Path.of(value(args, ++i, "--allowed-signers"));
                    case "--since" -> since = date(value(args, ++i, "--since"));
                    case "--json" -> json = true;
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if ((dir == null) == !s3 || org == null || signers == null) {
                throw new IllegalArgumentException("need exactly one of --dir DIR and --s3, plus --org ORG and --allowed-signers FILE");
            }
            List<byte[]> keys = Verifier.allowedKeys(Files.readString(signers, StandardCharsets.UTF_8), org);
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(signers + " names no ssh-ed25519 key for principal " + org);
            }
            Verifier.Report report;
            if (s3) {
                try (S3BlobStore store = new S3BlobStore(s3Settings(env))) {
                    report = new Verifier(EvidenceSource.of(store), org, keys, since).run();
                }
            } else {
                if (!Files.isDirectory(dir)) {
                    throw new IllegalArgumentException(dir + " is not a directory");
                }
                report = new Verifier(EvidenceSource.directory(dir), org, keys, since).run();
            }
            out.print(json ? report.json().toPrettyString() + "\n" : report.table());
            out.flush();
            if (report.rows().isEmpty()) {
                // an empty answer must not read as a clean bill: wrong --dir or --org, or everything was deleted
                err.println("verify: no digest and no recording of org " + org + " found; nothing was verified");
                return 1;
            }
            return report.ok() ? 0 : 1;
        } catch (IllegalArgumentException | IOException e) {
            err.println("verify: " + e.getMessage());
            err.println("usage: scripts/verify (--dir DIR | --s3) --org ORG --allowed-signers FILE [--since YYYY-MM-DD] [--json]");
            return 2;
        }
    }

    private static S3Settings s3Settings(Map<String, String> env) {
        String endpoint = env.get("S3_ENDPOINT");
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("--s3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY and S3_SECRET_KEY");
        }
        return new S3Settings(URI.create(endpoint), env.getOrDefault("S3_REGION", "us-east-1"),
                env.getOrDefault("S3_BUCKET", "castvault"), env.get("S3_ACCESS_KEY"), env.get("S3_SECRET_KEY"));
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static Instant date(String s) {
        try {
            return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--since takes YYYY-MM-DD or an RFC 3339 UTC time");
        }
    }
}
