package io.castvault.storage;

import io.castvault.core.Hashing;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the signer puts on the wire; that the store still refuses a body its signed checksum does not match is
 * {@link BlobStoreContractTest#aWrongChecksumIsRefusedAndNothingIsStored} against the real server.
 */
class ChecksumBoundSignerTest {
    private static final byte[] BODY = "[0.5, \"o\", \"hello\"]\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void aBodyCarryingItsSignedChecksumIsNotReadForTheSignature() throws IOException {
        AtomicInteger opened = new AtomicInteger();
        SignedRequest signed = new ChecksumBoundSigner().sign(request(SdkHttpMethod.PUT, opened, true));

        assertEquals(0, opened.get(), "the body was read to sign the request");
        assertEquals("UNSIGNED-PAYLOAD", header(signed, "x-amz-content-sha256"));
        assertTrue(header(signed, "Authorization").contains("x-amz-checksum-sha256"),
                "the checksum header must be among the signed headers: " + header(signed, "Authorization"));
        assertEquals(Base64.getEncoder().encodeToString(Hashing.sha256(BODY)), header(signed, "x-amz-checksum-sha256"));
        assertArrayEquals(BODY, signed.payload().orElseThrow().newStream().readAllBytes());
    }

    @Test
    void aBodyWithoutOneIsHashedIntoTheSignatureAsTheSdkDoes() {
        assertSignedWithItsPayloadHash(SdkHttpMethod.PUT, false);
    }

    /** On a POST such as CompleteMultipartUpload the header is the whole object's checksum, not the body's. */
    @Test
    void onlyAPutsBodyIsTakenAsTheOneItsChecksumHeaderDescribes() {
        assertSignedWithItsPayloadHash(SdkHttpMethod.POST, true);
    }

    private static void assertSignedWithItsPayloadHash(SdkHttpMethod method, boolean withChecksum) {
        AtomicInteger opened = new AtomicInteger();
        SignedRequest signed = new ChecksumBoundSigner().sign(request(method, opened, withChecksum));

        assertTrue(opened.get() >= 1, "the body was not read for the signature");
        assertEquals(Hashing.hex(Hashing.sha256(BODY)), header(signed, "x-amz-content-sha256"));
    }

    private static SignRequest<AwsCredentialsIdentity> request(SdkHttpMethod method, AtomicInteger opened,
                                                               boolean withChecksum) {
        SdkHttpRequest.Builder http = SdkHttpRequest.builder().protocol("http").host("127.0.0.1").port(9000)
                .method(method).encodedPath("/bucket/recordings/a/b/chunks/0000000000.cast")
                .putHeader("Content-Length", String.valueOf(BODY.length));
        if (withChecksum) {
            http.putHeader(ChecksumBoundSigner.CHECKSUM_HEADER, Base64.getEncoder().encodeToString(Hashing.sha256(BODY)));
        }
        ContentStreamProvider body = () -> {
            opened.incrementAndGet();
            return new ByteArrayInputStream(BODY);
        };
        return SignRequest.builder(AwsCredentialsIdentity.create("access", "secret"))
                .request(http.build())
                .payload(body)
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .build();
    }

    private static String header(SignedRequest signed, String name) {
        return signed.request().firstMatchingHeader(name).orElseThrow(() -> new AssertionError("no " + name));
    }
}
