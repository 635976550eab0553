package io.castvault.api;

import io.castvault.agentingest.AgentIngest;
import io.castvault.agentingest.FailedAuthLimiter;
import io.castvault.agentingest.NodeKeyDirectory;
import io.castvault.agentingest.TrustedProxies;
import io.castvault.api.auth.BearerAuth;
import io.castvault.api.auth.Jwt;
import io.castvault.api.config.AgentConfig;
import io.castvault.api.config.AuthConfig;
import io.castvault.api.config.DatabaseConfig;
import io.castvault.api.config.EvidenceConfig;
import io.castvault.api.config.LimitsConfig;
import io.castvault.api.config.NetworkConfig;
import io.castvault.api.config.RetentionConfig;
import io.castvault.api.config.S3Config;
import io.castvault.db.Database;
import io.castvault.recording.AuditService;
import io.castvault.recording.LegalHoldService;
import io.castvault.evidence.DigestWriter;
import io.castvault.evidence.EvidenceService;
import io.castvault.evidence.ManifestWriter;
import io.castvault.evidence.MasterKey;
import io.castvault.evidence.SigningKeys;
import io.castvault.recording.CastDownloads;
import io.castvault.recording.ChunkUploads;
import io.castvault.recording.Deletion;
import io.castvault.recording.Organizations;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;
import io.castvault.recording.UseCases;
import io.castvault.recording.RetentionService;
import io.castvault.recording.BlobStores;
import io.castvault.recording.CustomStoreSweeps;
import io.castvault.recording.RoutedBlobStore;
import io.castvault.recording.ServiceCounts;
import io.castvault.recording.SettingsService;
import io.castvault.storage.BlobStore;
import io.castvault.storage.S3BlobStore;
import io.castvault.api.ops.DatabaseMeter;
import io.castvault.api.ops.FailingStores;
import io.castvault.api.ops.MeteredBlobStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Primary;
import jakarta.inject.Singleton;

import java.nio.file.Path;
import java.time.Clock;

/** Wires the framework-free modules (db, storage, recording, agent-ingest) into the Micronaut context. */
@Factory
public class CastvaultFactory {

    @Singleton
    @Bean(preDestroy = "close")
    Database database(DatabaseConfig config, MeterRegistry registry) {
        return Database.connect(config.settings(), new DatabaseMeter(registry));
    }

    @Singleton
    @Bean(preDestroy = "close")
    S3BlobStore s3BlobStore(S3Config config) {
        return new S3BlobStore(config.settings());
    }

    /**
     * The platform store and a cached client per org store (issue 18), every call of each timed under its class of
     * store. Org stores are reached on public addresses only, but in development (the tests' S3 servers are local).
     */
    @Singleton
    @Bean(preDestroy = "close")
    BlobStores blobStores(Database db, S3BlobStore s3, MeterRegistry registry, MasterKey master, S3Config config,
                          LimitsConfig limits, EvidenceConfig evidence, FailingStores failing) {
        // a stalled org store may hold a quarter of the upload slots at most, whatever its timeouts
        BlobStores.Options custom = new BlobStores.Options(config.attemptTimeout(), config.callTimeout(),
                limits.maxInflightUploads() / 4, evidence.development());
        return new BlobStores(db, new MeteredBlobStore(s3, registry, MeteredBlobStore.PLATFORM, MeteredBlobStore.Answers.IGNORED),
                master, custom, (storeId, store) -> new MeteredBlobStore(store, registry, MeteredBlobStore.CUSTOM,
                failing.of(storeId)));
    }

    @Singleton
    CustomStoreSweeps customStoreSweeps(Database db, BlobStores stores, RetentionConfig retention) {
        return new CustomStoreSweeps(db, stores, retention.orphanGrace(), retention.orphanKeysPerRun());
    }

    /** What the use cases and evidence get: each call goes to the store of the recording its key names. */
    @Singleton
    @Primary
    BlobStore blobStore(BlobStores stores) {
        return new RoutedBlobStore(stores);
    }

    @Singleton
    Jwt jwt(AuthConfig config) {
        return new Jwt(config.jwtSecret(), Clock.systemUTC(), config.jwtMaxLifetime());
    }

    @Singleton
    Organizations organizations(Database db, AuthConfig config) {
        return new Organizations(db, config.membershipCacheTtl());
    }

    @Singleton
    BearerAuth bearerAuth(Jwt jwt, Organizations orgs) {
        return new BearerAuth(jwt, orgs);
    }

    @Singleton
    SettingsService settingsService(Database db, BlobStores stores) {
        return new SettingsService(db, stores);
    }

    @Singleton
    UseCases useCases(Database db, BlobStore blobs, BlobStores stores, LimitsConfig limits, RetentionConfig retention,
                      S3Config s3, AgentConfig agent, ManifestWriter manifests) {
        return UseCases.wire(db, blobs, stores, new UseCases.Settings(limits.maxChunkBytes(), limits.maxInflightUploads(),
                UseCases.Settings.leaseFor(s3.callTimeout()), retention.abandonAfter(), retention.orphanGrace(),
                retention.orphanKeysPerRun(), agent.spoolPath()), manifests::writeQuietly);
    }

    @Singleton
    MasterKey masterKey(EvidenceConfig config) {
        return MasterKey.resolve(config.masterKey(), config.development(), Path.of(config.dataDir()));
    }

    @Singleton
    SigningKeys signingKeys(Database db, MasterKey master) {
        return new SigningKeys(db, master);
    }

    @Singleton
    ManifestWriter manifestWriter(Database db, BlobStore blobs, SigningKeys keys) {
        return new ManifestWriter(db, blobs, keys);
    }

    @Singleton
    DigestWriter digestWriter(Database db, BlobStore blobs, SigningKeys keys, ManifestWriter manifests, EvidenceConfig config) {
        return new DigestWriter(db, blobs, keys, manifests, config.digestInterval());
    }

    @Singleton
    EvidenceService evidenceService(Database db, BlobStore blobs, SigningKeys keys) {
        return new EvidenceService(db, blobs, keys);
    }

    @Singleton
    Recordings recordings(UseCases u) {
        return u.recordings();
    }

    @Singleton
    ChunkUploads chunkUploads(UseCases u) {
        return u.uploads();
    }

    @Singleton
    Sealing sealing(UseCases u) {
        return u.sealing();
    }

    @Singleton
    CastDownloads castDownloads(UseCases u) {
        return u.downloads();
    }

    @Singleton
    Deletion deletion(UseCases u) {
        return u.deletion();
    }

    @Singleton
    RetentionService retentionService(UseCases u) {
        return u.retention();
    }

    @Singleton
    ServiceCounts serviceCounts(Database db) {
        return new ServiceCounts(db);
    }

    @Singleton
    AuditService auditService(Database db) {
        return new AuditService(db);
    }

    @Singleton
    LegalHoldService legalHoldService(Database db) {
        return new LegalHoldService(db);
    }

    @Singleton
    NodeKeyDirectory nodeKeyDirectory(Database db, AgentConfig config) {
        return new NodeKeyDirectory(db, config.nodeKeyCacheTtl());
    }

    @Singleton
    FailedAuthLimiter failedAuthLimiter(AgentConfig config) {
        return new FailedAuthLimiter(config.authFailureBurst(), config.authFailureRefill());
    }

    @Singleton
    TrustedProxies trustedProxies(NetworkConfig config) {
        return TrustedProxies.parse(config.trustedProxies());
    }

    @Singleton
    AgentIngest agentIngest(NodeKeyDirectory keys, FailedAuthLimiter limiter, Recordings recordings, Sealing sealing,
                            LimitsConfig limits, AgentConfig agent) {
        return new AgentIngest(keys, limiter, recordings, sealing, limits.maxTranscriptBytes(), agent.spoolPath());
    }
}
