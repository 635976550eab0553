package io.castvault.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** Where the servers are (scripts/bench starts them and hands their coordinates over in the environment). */
record BenchConfig(URI serviceUrl, URI s3Endpoint, String s3Bucket, String s3AccessKey, String s3SecretKey,
                   String s3Server, String databaseUrl, String databaseUser, String databasePassword,
                   String jwtSecret, int jmxPort, long servicePid, long s3Pid, Path outDir) {

    static BenchConfig fromEnv(Map<String, String> env) {
        return new BenchConfig(
                URI.create(required(env, "BENCH_SERVICE_URL")),
                URI.create(required(env, "S3_ENDPOINT")),
                required(env, "S3_BUCKET"),
                required(env, "S3_ACCESS_KEY"),
                required(env, "S3_SECRET_KEY"),
                env.getOrDefault("BENCH_S3_SERVER", "unknown S3 server"),
                required(env, "DATABASE_URL"),
                required(env, "DATABASE_USER"),
                required(env, "DATABASE_PASSWORD"),
                required(env, "AUTH_JWT_SECRET"),
                Integer.parseInt(required(env, "BENCH_JMX_PORT")),
                Long.parseLong(required(env, "BENCH_SERVICE_PID")),
                Long.parseLong(required(env, "BENCH_S3_PID")),
                Path.of(required(env, "BENCH_OUT_DIR")));
    }

    private static String required(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is not set (run the benchmark through scripts/bench)");
        }
        return v;
    }
}
