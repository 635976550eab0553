package io.castvault.api;

import io.castvault.agentingest.NodeKeyDirectory;
import io.castvault.api.config.AgentConfig;
import io.castvault.api.config.S3Config;
import io.castvault.db.ChangeListener;
import io.castvault.db.Database;
import io.castvault.evidence.MasterKey;
import io.castvault.recording.Organizations;
import io.castvault.recording.SpoolJanitor;
import io.castvault.recording.UseCases;
import io.castvault.storage.BlobStore;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.server.HttpServerConfiguration;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares both tiers before the server takes requests: migrates the schema, refuses a database role that
 * bypasses row-level security, creates the bucket, removes the spool files a killed process left behind, and starts
 * listening for changes made by other processes.
 */
@Context
@Requires(notEnv = "cli")
public class Startup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Startup.class);

    private final ChangeListener changes;

    // MasterKey is injected so that production without CASTVAULT_MASTER_KEY fails here, before serving
    public Startup(Database db, BlobStore blobs, Organizations orgs, NodeKeyDirectory nodeKeys, MasterKey masterKey,
                   AgentConfig agent, S3Config s3, HttpServerConfiguration server) {
        db.migrate();
        db.requireRowLevelSecurity();
        blobs.ensureBucket();
        // an agent's transcript is spooled as it arrives and its connection may sit idle up to the server's idle
        // timeout before the last write; storing the file then takes at most a lease
        SpoolJanitor.removeStale(agent.spoolPath(),
                server.getIdleTimeout().plus(UseCases.Settings.leaseFor(s3.callTimeout())));
        changes = db.listenForChanges(table -> {
            orgs.invalidateAll();
            // a deleted machine's key, or an org losing the feature, must stop working at once
            if (!"org_memberships".equals(table)) {
                nodeKeys.invalidateAll();
            }
        });
        LOG.info("database migrated, bucket ready");
    }

    @PreDestroy
    @Override
    public void close() {
        changes.close();
    }
}
