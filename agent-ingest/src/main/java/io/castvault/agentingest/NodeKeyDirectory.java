package io.castvault.agentingest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.NodeKeyMachine;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Finds the machine a node key belongs to. Lookups, including misses, are cached; any change to machines or
 * orgs (from this process, the admin CLI or SQL) empties the cache through the database change listener, so a
 * deleted machine's key stops working at once. The TTL only bounds staleness should a notification be lost.
 */
public final class NodeKeyDirectory {
    private final Database db;
    private final Cache<String, Optional<NodeKeyMachine>> cache;

    public NodeKeyDirectory(Database db, Duration ttl) {
        this.db = db;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).build();
    }

    public Optional<NodeKeyMachine> find(String nodeKey) {
        byte[] hash = NodeKeys.hash(nodeKey);
        // The cache and the index look up the hash, never the key: timing there reveals nothing about a
        // valid key. The final comparison is constant-time all the same.
        Optional<NodeKeyMachine> found = cache.get(HexFormat.of().formatHex(hash),
                k -> db.acrossOrgs(tx -> MachineQueries.findByNodeKeyHash(tx, hash)));
        return found.filter(m -> MessageDigest.isEqual(m.nodeKeyHash(), hash));
    }

    /** Called on any change to machines or orgs. */
    public void invalidateAll() {
        cache.invalidateAll();
    }
}
