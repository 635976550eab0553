package io.castvault.api.ops;

/**
 * One dependency that {@code /health/ready} probes. A bean of this type is all it takes to add one (NATS, when
 * configured, is one: see {@link DependencyChecks}); {@link #check()} throws when the dependency does not answer.
 */
public interface ReadinessCheck {
    /** The key in the readiness answer, e.g. {@code database}. */
    String name();

    void check();
}
