package io.castvault.api;

import io.castvault.agentingest.AgentIngest;
import io.castvault.agentingest.FailedAuthLimiter;
import io.castvault.agentingest.NodeKeyDirectory;
import io.castvault.agentingest.TrustedProxies;
import io.castvault.api.auth.AccessResolver;
import io.castvault.api.auth.BearerAuth;
import io.castvault.api.auth.Jwt;
import io.castvault.api.config.AgentConfig;
import io.castvault.api.config.AuthConfig;
import io.castvault.api.config.DatabaseConfig;
import io.castvault.api.config.LimitsConfig;
import io.castvault.api.config.NetworkConfig;
import io.castvault.api.config.RetentionConfig;
import io.castvault.api.config.S3Config;
import io.castvault.db.Database;
import io.castvault.recording.CastDownloads;
import io.castvault.recording.ChunkUploads;
import io.castvault.recording.Deletion;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;
import io.castvault.recording.UseCases;
import io.castvault.recording.RetentionService;
import io.castvault.recording.SettingsService;
import io.castvault.storage.BlobStore;
import io.castvault.storage.S3BlobStore;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

import java.nio.file.Path;
import java.time.Clock;

/** Wires the framework-free modules (db, storage, recording, agent-ingest) into the Micronaut context. */
@Factory
public class CastvaultFactory {

    @Singleton
    @Bean(preDestroy = "close")
    Database database(DatabaseConfig config) {
        return Database.connect(config.settings());
    }

    @Singleton
    @Bean(preDestroy = "close")
    S3BlobStore blobStore(S3Config config) {
        return new S3BlobStore(config.settings());
    }

    @Singleton
    Jwt jwt(AuthConfig config) {
        return new Jwt(config.jwtSecret(), Clock.systemUTC());
    }

    @Singleton
    AccessResolver accessResolver(Database db, AuthConfig config) {
        return new AccessResolver(db, config.membershipCacheTtl());
    }

    @Singleton
    BearerAuth bearerAuth(Jwt jwt, AccessResolver access) {
        return new BearerAuth(jwt, access);
    }

    @Singleton
    SettingsService settingsService(Database db) {
        return new SettingsService(db);
    }

    @Singleton
    UseCases useCases(Database db, BlobStore blobs, LimitsConfig limits, RetentionConfig retention, S3Config s3) {
        return UseCases.wire(db, blobs, new UseCases.Settings(limits.maxChunkBytes(), limits.maxInflightUploads(),
                UseCases.Settings.leaseFor(s3.callTimeout()), retention.abandonAfter(), retention.orphanGrace(),
                retention.orphanKeysPerRun(), Path.of(System.getProperty("java.io.tmpdir"))));
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
                            LimitsConfig limits) {
        return new AgentIngest(keys, limiter, recordings, sealing, limits.maxTranscriptBytes(),
                Path.of(System.getProperty("java.io.tmpdir")));
    }
}
