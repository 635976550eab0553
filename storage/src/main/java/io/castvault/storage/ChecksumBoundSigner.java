package io.castvault.storage;

import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

import java.util.concurrent.CompletableFuture;

/**
 * SigV4 that does not hash a body the store verifies anyway. Every object we put carries its SHA-256 in the
 * {@code x-amz-checksum-sha256} header, which is signed and which the store checks against the body before it
 * keeps anything (BadDigest otherwise). Over plain HTTP the SDK would still hash the whole body a second time for
 * {@code x-amz-content-sha256} (a tenth of the service's CPU per 64 KiB chunk in the profile, bench/README.md);
 * such a request is signed as {@code UNSIGNED-PAYLOAD} instead, which is what the SDK already sends over HTTPS.
 * A tampered body still fails: against the signed checksum instead of the signed payload hash.
 * Other requests (multipart parts, which carry no checksum, DeleteObjects, reads) are signed exactly as before.
 */
final class ChecksumBoundSigner implements HttpSigner<AwsCredentialsIdentity> {
    static final String CHECKSUM_HEADER = "x-amz-checksum-sha256";

    private final AwsV4HttpSigner sigV4 = AwsV4HttpSigner.create();

    /** The SigV4 scheme S3 resolves for our buckets, with this signer. */
    static AuthScheme<AwsCredentialsIdentity> scheme() {
        ChecksumBoundSigner signer = new ChecksumBoundSigner();
        return new AuthScheme<>() {
            @Override
            public String schemeId() {
                return AwsV4AuthScheme.SCHEME_ID;
            }

            @Override
            public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
                return providers.identityProvider(AwsCredentialsIdentity.class);
            }

            @Override
            public HttpSigner<AwsCredentialsIdentity> signer() {
                return signer;
            }
        };
    }

    @Override
    public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
        // a PUT's checksum header is its body's (PutObject, UploadPart); elsewhere it may describe something else,
        // such as the whole object on CompleteMultipartUpload
        if (request.request().method() != SdkHttpMethod.PUT || request.payload().isEmpty()
                || request.request().firstMatchingHeader(CHECKSUM_HEADER).isEmpty()) {
            return sigV4.sign(request);
        }
        // The SDK signs the payload of any plain-HTTP request that has one, whatever the property says: the
        // headers are signed without it and the same bytes are attached to the signed request afterwards.
        SignedRequest signed = sigV4.sign(request.copy(r -> r.payload(null)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)));
        return signed.copy(s -> s.payload(request.payload().orElseThrow()));
    }

    @Override
    public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
        return sigV4.signAsync(request); // the service's client is synchronous
    }
}
