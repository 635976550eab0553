package io.castvault.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

import java.net.URI;
import java.util.UUID;

/**
 * A real S3 server for tests: {@code CASTVAULT_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY} (scripts/test starts
 * S3Proxy with a filesystem backend), else MinIO through Testcontainers where Docker runs.
 */
public final class TestS3 {
    private static TestS3 instance;

    private final URI endpoint;
    private final String accessKey;
    private final String secretKey;

    private TestS3(URI endpoint, String accessKey, String secretKey) {
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static synchronized TestS3 instance() {
        if (instance == null) {
            instance = create();
        }
        return instance;
    }

    private static TestS3 create() {
        String endpoint = System.getenv("CASTVAULT_TEST_S3_ENDPOINT");
        if (endpoint != null && !endpoint.isBlank()) {
            return new TestS3(URI.create(endpoint), System.getenv("CASTVAULT_TEST_S3_ACCESS_KEY"),
                    System.getenv("CASTVAULT_TEST_S3_SECRET_KEY"));
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            String user = "castvault";
            String secret = "castvault-secret";
            GenericContainer<?> minio = new GenericContainer<>("minio/minio:latest")
                    .withCommand("server", "/data")
                    .withEnv("MINIO_ROOT_USER", user)
                    .withEnv("MINIO_ROOT_PASSWORD", secret)
                    .withExposedPorts(9000)
                    .waitingFor(Wait.forHttp("/minio/health/live").forPort(9000));
            minio.start();
            return new TestS3(URI.create("http://" + minio.getHost() + ":" + minio.getMappedPort(9000)), user, secret);
        }
        throw new IllegalStateException("No S3 server for tests: run scripts/test (it starts S3Proxy and sets "
                + "CASTVAULT_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY) or make Docker available for Testcontainers");
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** A bucket name nobody uses yet; the code under test creates it. */
    public static String freshBucketName() {
        return "cv-test-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }
}
