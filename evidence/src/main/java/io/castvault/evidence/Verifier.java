package io.castvault.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.Hashing;
import io.castvault.storage.ObjectKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Checks an org's evidence with nothing but the bucket (or a copy) and its public keys: the digest chain from the
 * newest digest back (signatures, each link's key, SHA-256 and signature, sequence), every manifest a digest lists
 * (SHA-256 as listed, signature) and every object a manifest lists (length, SHA-256), that every removal is
 * explained by retention or an admin delete, and that no signed recording sealed before the newest digest is
 * missing from the chain. The offline {@code scripts/verify} and the {@code verify} action both run this.
 */
public final class Verifier {
    public static final String OK = "OK";
    public static final String TAMPERED = "TAMPERED";
    public static final String MISSING = "MISSING";
    public static final String REMOVED_OUTSIDE_RETENTION = "REMOVED OUTSIDE RETENTION";
    public static final String CHAIN_GAP = "CHAIN GAP";
    public static final String UNSIGNED = "UNSIGNED";
    /** Statuses that are not findings. */
    public static final String REMOVED = "REMOVED";
    public static final String PENDING = "PENDING";
    public static final String ACTIVE = "ACTIVE";

    private final EvidenceSource source;
    private final UUID orgId;
    private final Set<String> allowed;
    private final Instant since;
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final List<Finding> findings = new ArrayList<>();

    /** {@code allowedKeys}: raw Ed25519 public keys; {@code since}: null for the whole chain. */
    public Verifier(EvidenceSource source, UUID orgId, List<byte[]> allowedKeys, Instant since) {
        this.source = source;
        this.orgId = orgId;
        this.allowed = new HashSet<>();
        allowedKeys.forEach(k -> allowed.add(Base64.getEncoder().encodeToString(k)));
        this.since = since;
    }

    public record Finding(UUID sessionId, String kind, String objectKey, String detail) {
    }

    /** One line of the table: a digest (subject = its key) or a recording (subject = session id). */
    public record Row(String type, String subject, String status, String detail) {
    }

    public record Report(List<Row> rows, List<Finding> findings) {
        public boolean ok() {
            return findings.isEmpty();
        }

        public Report forSession(UUID sessionId) {
            return new Report(rows.stream().filter(r -> r.subject().equals(sessionId.toString())).toList(),
                    findings.stream().filter(f -> sessionId.equals(f.sessionId())).toList());
        }

        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%-26s %-9s %-60s %s%n", "STATUS", "TYPE", "SUBJECT", "DETAIL"));
            for (Row r : rows) {
                sb.append(String.format("%-26s %-9s %-60s %s%n", r.status(), r.type(), r.subject(), r.detail()));
            }
            sb.append(ok() ? "OK: no findings\n" : findings.size() + " finding(s)\n");
            return sb.toString();
        }

        public ObjectNode json() {
            ObjectNode n = CanonicalJson.MAPPER.createObjectNode();
            n.put("ok", ok());
            ArrayNode fs = n.putArray("findings");
            for (Finding f : findings) {
                fs.addObject().put("session_id", f.sessionId() == null ? null : f.sessionId().toString())
                        .put("kind", f.kind()).put("object_key", f.objectKey()).put("detail", f.detail());
            }
            ArrayNode rs = n.putArray("rows");
            for (Row r : rows) {
                rs.addObject().put("type", r.type()).put("subject", r.subject()).put("status", r.status())
                        .put("detail", r.detail());
            }
            return n;
        }
    }

    /** Raw keys of the lines of an OpenSSH allowed_signers file that name {@code orgId} as principal. */
    public static List<byte[]> allowedKeys(String allowedSigners, UUID orgId) {
        List<byte[]> keys = new ArrayList<>();
        for (String line : allowedSigners.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] tokens = l.split("\\s+");
            if (!Arrays.asList(tokens[0].split(",")).contains(orgId.toString())) {
                continue;
            }
            for (int i = 1; i + 1 < tokens.length; i++) {
                if (tokens[i].equals(SshKeys.KEY_TYPE)) {
                    keys.add(SshKeys.parsePublicKeyText(tokens[i] + " " + tokens[i + 1]));
                    break;
                }
            }
        }
        return keys;
    }

    private static final class Doc {
        final ObjectKey key;
        byte[] bytes;
        JsonNode body;
        byte[] rawSignature;

        Doc(ObjectKey key) {
            this.key = key;
        }

        String hex() {
            return Hashing.hex(Hashing.sha256(bytes));
        }
    }

    private record Listed(JsonNode entry, String digestKey) {
    }

    public Report run() {
        TreeMap<String, Doc> digests = readDigests();
        Instant newestDue = null;
        Set<String> linked = walkChain(digests);
        Map<UUID, Listed> sealed = new LinkedHashMap<>();
        Map<UUID, Listed> removed = new LinkedHashMap<>();
        for (String k : linked) {
            Doc d = digests.get(k);
            if (d.body == null) {
                continue;
            }
            Instant due = time(d.body, "due_at");
            if (due != null && (newestDue == null || due.isAfter(newestDue))) {
                newestDue = due;
            }
            for (JsonNode e : d.body.path("sealed")) {
                uuid(e.path("session_id").asText()).ifPresent(s -> sealed.put(s, new Listed(e, k)));
            }
            for (JsonNode e : d.body.path("removed")) {
                uuid(e.path("session_id").asText()).ifPresent(s -> removed.put(s, new Listed(e, k)));
            }
        }
        for (Map.Entry<UUID, Listed> r : removed.entrySet()) {
            checkRemoval(r.getKey(), r.getValue());
        }
        for (Map.Entry<UUID, Listed> s : sealed.entrySet()) {
            if (removed.containsKey(s.getKey())) {
                continue;
            }
            JsonNode e = s.getValue().entry();
            String expected = e.path("manifest_sha256").isTextual() ? e.get("manifest_sha256").asText() : null;
            if (expected == null) {
                finding(s.getKey(), MISSING, ObjectKey.manifest(orgId, s.getKey()).value(),
                        "digest " + s.getValue().digestKey() + " lists the recording without a manifest and no removal explains it");
                continue;
            }
            JsonNode manifest = checkManifest(s.getKey(), expected, s.getValue().digestKey());
            if (manifest != null) {
                ok("recording", s.getKey().toString(), "in " + s.getValue().digestKey() + ", "
                        + manifest.path("objects").size() + " objects match, signed by " + manifest.path("key_fingerprint").asText());
            }
        }
        // The latest seal anyone can prove (a digest lists it, or its manifest is validly signed) shows the service
        // was at work then; digests are written at least daily, so an unlisted seal a day older is a gap, and so is a
        // chain that ends a day before it. This catches truncation of the newest digests whenever later work exists.
        Instant latestSeal = null;
        for (Listed l : sealed.values()) {
            latestSeal = later(latestSeal, time(l.entry(), "sealed_at"));
        }
        List<UUID> unlisted = bucketSessions().stream()
                .filter(s -> !sealed.containsKey(s) && !removed.containsKey(s)).toList();
        for (UUID session : unlisted) {
            latestSeal = later(latestSeal, signedSealTime(session));
        }
        for (UUID session : unlisted) {
            checkUnlisted(session, newestDue, latestSeal);
        }
        if (newestDue != null) {
            if (latestSeal != null && newestDue.plus(DigestWriter.HEARTBEAT).plus(GRACE).isBefore(latestSeal)) {
                finding(null, CHAIN_GAP, ObjectKey.digestPrefix(orgId).value(), "the chain ends at " + newestDue
                        + ", more than a day before the latest signed seal (" + latestSeal + "): newer digests are missing", "chain");
            } else {
                status("chain", ObjectKey.digestPrefix(orgId).value(), OK, "ends at " + newestDue + "; digests come at "
                        + "least daily, so a copy taken more than a day later that shows nothing newer was cut short");
            }
        }
        return new Report(List.copyOf(rows.values()), List.copyOf(findings));
    }

    /** A margin for a digest written late (store down, all instances restarting) before silence counts as a gap. */
    private static final Duration GRACE = Duration.ofHours(1);

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    /** The sealed_at of the recording's manifest, only when its signature verifies against allowed_signers. */
    private Instant signedSealTime(UUID session) {
        ObjectKey key = ObjectKey.manifest(orgId, session);
        Optional<byte[]> bytes = read(key);
        Optional<byte[]> sig = bytes.isEmpty() ? Optional.empty() : read(ObjectKey.signatureOf(key));
        if (sig.isEmpty()) {
            return null;
        }
        try {
            Sshsig.Parsed parsed = Sshsig.parse(new String(sig.get(), StandardCharsets.US_ASCII));
            if (!allowed.contains(Base64.getEncoder().encodeToString(parsed.publicKey()))
                    || !Sshsig.verify(parsed, Sshsig.RECORDING_NAMESPACE, bytes.get())) {
                return null;
            }
            return time(CanonicalJson.parse(bytes.get()), "sealed_at");
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * One recording, without walking the chain: the digests that list its seal and its removal (each signature
     * checked, and that it really lists the recording), then its removal's reason or its manifest and objects.
     * {@code sealDigest} / {@code removalDigest} are null when no digest lists them yet.
     */
    public Report runSession(UUID session, ObjectKey sealDigest, ObjectKey removalDigest) {
        Listed removal = removalDigest == null ? null : listedIn(removalDigest, "removed", session);
        Listed seal = sealDigest == null ? null : listedIn(sealDigest, "sealed", session);
        if (removal != null) {
            checkRemoval(session, removal);
        } else if (seal != null) {
            JsonNode e = seal.entry();
            String expected = e.path("manifest_sha256").isTextual() ? e.get("manifest_sha256").asText() : null;
            JsonNode manifest = checkManifest(session, expected, seal.digestKey());
            if (manifest != null) {
                ok("recording", session.toString(), "in " + seal.digestKey() + ", " + manifest.path("objects").size()
                        + " objects match, signed by " + manifest.path("key_fingerprint").asText());
            }
        } else if (sealDigest == null && removalDigest == null) {
            checkUnlisted(session, null, null);
        }
        return new Report(List.copyOf(rows.values()), List.copyOf(findings));
    }

    /** The entry for {@code session} in a digest's {@code list}, after checking the digest's signature. */
    private Listed listedIn(ObjectKey digestKey, String list, UUID session) {
        Optional<byte[]> bytes = read(digestKey);
        if (bytes.isEmpty()) {
            finding(session, CHAIN_GAP, digestKey.value(), "the digest that lists the recording is missing");
            return null;
        }
        Optional<byte[]> sig = read(ObjectKey.signatureOf(digestKey));
        if (sig.isEmpty()) {
            finding(session, UNSIGNED, digestKey.value(), "the digest has no signature");
        } else {
            checkSignature(session, digestKey, sig.get(), Sshsig.DIGEST_NAMESPACE, bytes.get(), "recording");
        }
        try {
            for (JsonNode e : CanonicalJson.parse(bytes.get()).path(list)) {
                if (session.toString().equals(e.path("session_id").asText())) {
                    return new Listed(e, digestKey.value());
                }
            }
        } catch (IllegalArgumentException e) {
            finding(session, TAMPERED, digestKey.value(), "the digest is not valid JSON");
            return null;
        }
        finding(session, TAMPERED, digestKey.value(), "the digest does not list the recording as " + list);
        return null;
    }

    // --- digests ----------------------------------------------------------------------------------------------

    private TreeMap<String, Doc> readDigests() {
        TreeMap<String, Doc> docs = new TreeMap<>();
        for (ObjectKey key : source.list(ObjectKey.digestPrefix(orgId))) {
            if (!key.value().endsWith(".json")) {
                continue;
            }
            Doc d = new Doc(key);
            d.bytes = read(key).orElse(null);
            if (d.bytes == null) {
                continue;
            }
            Optional<byte[]> sig = read(ObjectKey.signatureOf(key));
            if (sig.isEmpty()) {
                finding(null, UNSIGNED, key.value(), "the digest has no signature", "digest");
            } else {
                d.rawSignature = checkSignature(null, key, sig.get(), Sshsig.DIGEST_NAMESPACE, d.bytes, "digest");
            }
            try {
                d.body = CanonicalJson.parse(d.bytes);
            } catch (IllegalArgumentException e) {
                finding(null, TAMPERED, key.value(), "the digest is not valid JSON", "digest");
            }
            if (d.body != null) {
                if (!orgId.toString().equals(d.body.path("org_id").asText())) {
                    finding(null, TAMPERED, key.value(), "the digest is of another org", "digest");
                }
                if (!key.value().equals(d.body.path("key").asText())) {
                    finding(null, CHAIN_GAP, key.value(), "holds digest " + d.body.path("key").asText()
                            + ": digests were moved or reordered", "digest");
                }
                Instant due = time(d.body, "due_at");
                if (since != null && due != null && due.isBefore(since)) {
                    rows.remove(key.value());
                    findings.removeIf(f -> key.value().equals(f.objectKey()));
                    continue;
                }
            }
            docs.put(key.value(), d);
        }
        return docs;
    }

    /** Walks from the newest digest back; answers the digests reached. */
    private Set<String> walkChain(TreeMap<String, Doc> docs) {
        Set<String> linked = new TreeSet<>();
        String cur = docs.isEmpty() ? null : docs.lastKey();
        while (cur != null) {
            if (!linked.add(cur)) {
                finding(null, CHAIN_GAP, cur, "the chain loops back to this digest", "digest");
                break;
            }
            Doc d = docs.get(cur);
            if (d.body == null) {
                cur = docs.lowerKey(cur);
                continue;
            }
            long seq = d.body.path("seq").asLong(-1);
            JsonNode prev = d.body.path("previous");
            if (!prev.isObject()) {
                if (seq != 1) {
                    finding(null, CHAIN_GAP, cur, "has no previous digest but is number " + seq, "digest");
                }
                ok("digest", cur, summary(d));
                break;
            }
            String prevKey = prev.path("key").asText();
            Instant prevDue = time(prev, "due_at");
            if (since != null && prevDue != null && prevDue.isBefore(since)) {
                ok("digest", cur, summary(d));
                break;
            }
            Doc p = docs.get(prevKey);
            if (p == null) {
                finding(null, CHAIN_GAP, prevKey, "digest " + cur + " links to it, but it is missing", "digest");
                ok("digest", cur, summary(d));
                cur = docs.lowerKey(prevKey);
                continue;
            }
            if (!p.hex().equals(prev.path("sha256").asText())) {
                finding(null, TAMPERED, prevKey, "its SHA-256 differs from the one digest " + cur + " recorded", "digest");
            }
            if (p.rawSignature != null && !Base64.getEncoder().encodeToString(p.rawSignature).equals(prev.path("signature").asText())) {
                finding(null, TAMPERED, prevKey + ".sig", "its signature differs from the one digest " + cur + " recorded", "digest");
            }
            if (p.body != null && p.body.path("seq").asLong(-2) != seq - 1) {
                finding(null, CHAIN_GAP, prevKey, "is number " + p.body.path("seq").asLong() + ", digest " + cur
                        + " (number " + seq + ") names it as its predecessor", "digest");
            }
            ok("digest", cur, summary(d));
            cur = prevKey;
        }
        for (String k : docs.keySet()) {
            if (!linked.contains(k)) {
                finding(null, CHAIN_GAP, k, "not linked from the chain that ends at the newest digest", "digest");
            }
        }
        return linked;
    }

    private static String summary(Doc d) {
        String late = d.body.path("previous").path("late").asBoolean(false) ? "; the previous digest was written late" : "";
        return "number " + d.body.path("seq").asLong() + ", " + d.body.path("sealed").size() + " sealed, "
                + d.body.path("removed").size() + " removed" + late;
    }

    // --- recordings -------------------------------------------------------------------------------------------

    private void checkRemoval(UUID session, Listed l) {
        JsonNode e = l.entry();
        String reason = e.path("reason").asText();
        Instant started = time(e, "started_at");
        Instant removedAt = time(e, "removed_at");
        String key = ObjectKey.manifest(orgId, session).value();
        switch (reason) {
            case "retention" -> {
                int days = e.path("retention_days").asInt(-1);
                if (started == null || removedAt == null || days < 1
                        || started.plus(Duration.ofDays(days)).isAfter(removedAt)) {
                    finding(session, REMOVED_OUTSIDE_RETENTION, key, "removed at " + e.path("removed_at").asText()
                            + " for retention, but started " + e.path("started_at").asText() + " is within the "
                            + days + "-day policy");
                    return;
                }
                status("recording", session.toString(), REMOVED, "by retention (" + days + " days) at "
                        + e.path("removed_at").asText() + ", recorded in " + l.digestKey());
            }
            case "admin_delete" -> {
                if (!e.path("actor_id").isTextual()) {
                    finding(session, REMOVED_OUTSIDE_RETENTION, key, "admin delete without an actor");
                    return;
                }
                status("recording", session.toString(), REMOVED, "by admin " + e.path("actor_id").asText() + " at "
                        + e.path("removed_at").asText() + ", recorded in " + l.digestKey());
            }
            default -> finding(session, REMOVED_OUTSIDE_RETENTION, key,
                    "removed at " + e.path("removed_at").asText() + " with no retention or admin delete behind it");
        }
    }

    /** Checks a manifest and every object it lists; answers it when everything matched. */
    private JsonNode checkManifest(UUID session, String expectedSha, String digestKey) {
        ObjectKey key = ObjectKey.manifest(orgId, session);
        Optional<byte[]> bytes = read(key);
        if (bytes.isEmpty()) {
            finding(session, MISSING, key.value(), digestKey == null ? "the manifest is missing"
                    : "listed in " + digestKey + "; the manifest is gone and no removal explains it");
            return null;
        }
        int before = findings.size();
        if (expectedSha != null && !expectedSha.equals(Hashing.hex(Hashing.sha256(bytes.get())))) {
            finding(session, TAMPERED, key.value(), "the manifest differs from the one " + digestKey + " lists");
        }
        Optional<byte[]> sig = read(ObjectKey.signatureOf(key));
        if (sig.isEmpty()) {
            finding(session, UNSIGNED, key.value() + ".sig", "the manifest has no signature");
        } else {
            checkSignature(session, key, sig.get(), Sshsig.RECORDING_NAMESPACE, bytes.get(), "recording");
        }
        JsonNode m;
        try {
            m = CanonicalJson.parse(bytes.get());
        } catch (IllegalArgumentException e) {
            finding(session, TAMPERED, key.value(), "the manifest is not valid JSON");
            return null;
        }
        if (!session.toString().equals(m.path("session_id").asText()) || !orgId.toString().equals(m.path("org_id").asText())) {
            finding(session, TAMPERED, key.value(), "the manifest is of another recording");
        }
        String ownPrefix = "/" + orgId + "/" + session + "/";
        for (JsonNode o : m.path("objects")) {
            ObjectKey objectKey;
            try {
                objectKey = ObjectKey.parse(o.path("key").asText());
            } catch (IllegalArgumentException e) {
                finding(session, TAMPERED, key.value(), "the manifest names a key outside the layout");
                continue;
            }
            if (!objectKey.value().contains(ownPrefix)) {
                finding(session, TAMPERED, key.value(), "the manifest names " + objectKey + " of another recording");
                continue;
            }
            checkObject(session, objectKey, o.path("bytes").asLong(-1), o.path("sha256").asText());
        }
        return findings.size() == before ? m : null;
    }

    private void checkObject(UUID session, ObjectKey key, long length, String sha256) {
        Optional<InputStream> in = source.open(key);
        if (in.isEmpty()) {
            finding(session, MISSING, key.value(), "listed in the manifest; the object is gone");
            return;
        }
        MessageDigest md = Hashing.sha256();
        long n = 0;
        try (InputStream s = in.get()) {
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = s.read(buf)) >= 0; ) {
                md.update(buf, 0, r);
                n += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + key, e);
        }
        String actual = Hashing.hex(md.digest());
        if (n != length || !actual.equals(sha256)) {
            finding(session, TAMPERED, key.value(), n + " bytes with SHA-256 " + actual + "; the manifest says "
                    + length + " bytes with " + sha256);
        }
    }

    private void checkUnlisted(UUID session, Instant newestDue, Instant latestSeal) {
        ObjectKey manifestKey = ObjectKey.manifest(orgId, session);
        Optional<byte[]> bytes = read(manifestKey);
        if (bytes.isEmpty()) {
            if (read(ObjectKey.summary(orgId, session)).isPresent()) {
                finding(session, UNSIGNED, ObjectKey.summary(orgId, session).value(),
                        "a completed recording with no signed manifest, listed in no digest");
            } else {
                status("recording", session.toString(), ACTIVE, "chunks only: not completed, no evidence yet");
            }
            return;
        }
        Instant sealedAt = null;
        try {
            sealedAt = time(CanonicalJson.parse(bytes.get()), "sealed_at");
        } catch (IllegalArgumentException e) {
            // reported by checkManifest below
        }
        if (since != null && sealedAt != null && sealedAt.isBefore(since)) {
            return;
        }
        JsonNode m = checkManifest(session, null, null);
        if (newestDue != null && (sealedAt == null || !sealedAt.isAfter(newestDue))) {
            finding(session, CHAIN_GAP, manifestKey.value(), "sealed " + (sealedAt == null ? "at an unknown time" : "at " + sealedAt)
                    + ", before the newest digest (" + newestDue + "), yet listed in no digest");
            return;
        }
        if (latestSeal != null && sealedAt != null && sealedAt.plus(DigestWriter.HEARTBEAT).plus(GRACE).isBefore(latestSeal)) {
            finding(session, CHAIN_GAP, manifestKey.value(), "sealed at " + sealedAt + ", more than a day before the latest "
                    + "signed seal (" + latestSeal + "), yet listed in no digest: digests are missing");
            return;
        }
        if (m != null) {
            status("recording", session.toString(), PENDING, "signed, sealed after the newest digest; the next digest lists it");
        }
    }

    private Set<UUID> bucketSessions() {
        Set<UUID> sessions = new TreeSet<>();
        for (ObjectKey.Prefix p : ObjectKey.orgPrefixes(orgId)) {
            if (p.equals(ObjectKey.digestPrefix(orgId))) {
                continue;
            }
            for (ObjectKey k : source.list(p)) {
                String[] parts = k.value().split("/");
                uuid(parts[2]).ifPresent(sessions::add);
            }
        }
        return sessions;
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** Verifies an armored signature; answers its raw signature when it could be parsed. */
    private byte[] checkSignature(UUID session, ObjectKey signed, byte[] sigFile, String namespace, byte[] message, String type) {
        String sigKey = ObjectKey.signatureOf(signed).value();
        Sshsig.Parsed parsed;
        try {
            parsed = Sshsig.parse(new String(sigFile, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            finding(session, TAMPERED, sigKey, "the signature file is unreadable: " + e.getMessage(), type);
            return null;
        }
        if (!allowed.contains(Base64.getEncoder().encodeToString(parsed.publicKey()))) {
            finding(session, TAMPERED, sigKey, "signed by " + SshKeys.fingerprint(parsed.publicKey())
                    + ", a key not in allowed_signers", type);
        } else if (!Sshsig.verify(parsed, namespace, message)) {
            finding(session, TAMPERED, signed.value(), "the signature does not match the content", type);
        }
        return parsed.signature();
    }

    private Optional<byte[]> read(ObjectKey key) {
        Optional<InputStream> in = source.open(key);
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + key, e);
        }
    }

    private static Instant time(JsonNode n, String field) {
        try {
            return n.path(field).isTextual() ? Rfc3339.parse(n.get(field).asText()) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Optional<UUID> uuid(String s) {
        try {
            return Optional.of(UUID.fromString(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private void finding(UUID session, String kind, String objectKey, String detail) {
        finding(session, kind, objectKey, detail, "recording");
    }

    private void finding(UUID session, String kind, String objectKey, String detail, String type) {
        findings.add(new Finding(session, kind, objectKey, detail));
        String subject = session != null ? session.toString() : objectKey.endsWith(".sig")
                ? objectKey.substring(0, objectKey.length() - 4) : objectKey;
        Row existing = rows.get(subject);
        if (existing == null || !isFinding(existing.status())) {
            rows.put(subject, new Row(type, subject, kind, objectKey + ": " + detail));
        } else {
            rows.put(subject, new Row(type, subject, existing.status(), existing.detail() + "; " + objectKey + ": " + detail));
        }
    }

    private void ok(String type, String subject, String detail) {
        status(type, subject, OK, detail);
    }

    private void status(String type, String subject, String status, String detail) {
        Row existing = rows.get(subject);
        if (existing == null || !isFinding(existing.status())) {
            rows.put(subject, new Row(type, subject, status, detail));
        }
    }

    private static boolean isFinding(String status) {
        return !status.equals(OK) && !status.equals(REMOVED) && !status.equals(PENDING) && !status.equals(ACTIVE);
    }
}
