package io.castvault.api.ops;

import io.castvault.api.http.Envelope;
import io.castvault.api.http.RequestContexts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.propagation.slf4j.MdcPropagationContext;
import io.micronaut.core.propagation.PropagatedContext;
import io.micronaut.http.BasicHttpAttributes;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Filter;
import io.micronaut.http.filter.HttpServerFilter;
import io.micronaut.http.filter.ServerFilterChain;
import io.micronaut.http.filter.ServerFilterPhase;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.MDC;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every request: a request id (the caller's {@code X-Request-Id} when it is a sane token, else a new one),
 * returned as {@code X-Request-Id} and put in the MDC of every log line written for the request; the request
 * timer {@code castvault_requests_seconds} by route template, action, HTTP status and outcome (the envelope's
 * error code or {@code OK}); requests and uploads in flight; payload bytes received.
 */
@Filter(Filter.MATCH_ALL_PATTERN)
public class RequestObservation implements HttpServerFilter {
    public static final String HEADER = RequestContexts.REQUEST_ID_HEADER;
    private static final String AGENT_ROUTE = "/api/session-recording-agent";
    private static final String ASCIICAST_ROUTE = "/api/asciicasts";

    private final MeterRegistry registry;
    private final UploadMetrics uploads;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter chunkBytes;
    private final Counter transcriptBytes;

    public RequestObservation(MeterRegistry registry, UploadMetrics uploads) {
        this.registry = registry;
        this.uploads = uploads;
        registry.gauge("castvault.requests.in.flight", inFlight);
        chunkBytes = Counter.builder("castvault.chunk.received").baseUnit("bytes")
                .description("Chunk data stored by upload_chunk").register(registry);
        transcriptBytes = Counter.builder("castvault.transcript.received").baseUnit("bytes")
                .description("Agent and asciinema transcripts stored").register(registry);
    }

    @Override
    public int getOrder() {
        return ServerFilterPhase.FIRST.order();
    }

    @Override
    public Publisher<MutableHttpResponse<?>> doFilter(HttpRequest<?> request, ServerFilterChain chain) {
        // the one id of this request: the audit entry, the log lines and the response header all carry it
        String id = RequestContexts.requestId(request);
        request.setAttribute(RequestTags.REQUEST_ID, id);
        boolean agentUpload = request.getMethod() == HttpMethod.POST
                && (request.getPath().equals(AGENT_ROUTE) || request.getPath().equals(ASCIICAST_ROUTE));
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        UploadMetrics.Upload upload = uploads.upload();
        request.setAttribute(RequestTags.UPLOAD, upload); // upload_chunk enters once its action is known
        if (agentUpload) {
            upload.enter();
        }
        Map<String, String> mdc = new HashMap<>();
        mdc.put("request_id", id);
        Publisher<MutableHttpResponse<?>> responses;
        try (PropagatedContext.Scope ignored = PropagatedContext.getOrEmpty().plus(new MdcPropagationContext(mdc)).propagate()) {
            responses = chain.proceed(request);
        }
        AtomicBoolean done = new AtomicBoolean();
        Runnable finish = () -> {
            if (done.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
                upload.exit();
            }
        };
        return new Publisher<>() {
            @Override
            public void subscribe(Subscriber<? super MutableHttpResponse<?>> s) {
                responses.subscribe(new Subscriber<>() {
                    @Override
                    public void onSubscribe(Subscription subscription) {
                        s.onSubscribe(new Subscription() {
                            @Override
                            public void request(long n) {
                                subscription.request(n);
                            }

                            @Override
                            public void cancel() {
                                finish.run();
                                subscription.cancel();
                            }
                        });
                    }

                    @Override
                    public void onNext(MutableHttpResponse<?> response) {
                        response.header(HEADER, id);
                        record(request, response, agentUpload, start);
                        finish.run();
                        s.onNext(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        finish.run();
                        s.onError(t);
                    }

                    @Override
                    public void onComplete() {
                        finish.run();
                        s.onComplete();
                    }
                });
            }
        };
    }

    private void record(HttpRequest<?> request, MutableHttpResponse<?> response, boolean agentUpload, long start) {
        String route = BasicHttpAttributes.getUriTemplate(request).orElse("unmatched");
        String action = request.getAttribute(RequestTags.ACTION, String.class).orElse("none");
        int status = response.code();
        String outcome = outcome(response);
        Buckets.latency(Timer.builder("castvault.requests")
                        .tag("method", request.getMethod().name())
                        .tag("route", route)
                        .tag("action", action)
                        .tag("status", Integer.toString(status))
                        .tag("outcome", outcome)
                        .description("HTTP requests by route template, action and outcome"))
                .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        if (status / 100 == 2) {
            long bytes = request.getAttribute(RequestTags.BYTES, Long.class).orElse(0L);
            if (bytes > 0) {
                (agentUpload ? transcriptBytes : chunkBytes).increment(bytes);
            }
        }
    }

    private static String outcome(MutableHttpResponse<?> response) {
        Object body = response.getBody().orElse(null);
        if (body instanceof Envelope envelope && envelope.error() != null) {
            return envelope.error().code();
        }
        return response.code() < 400 ? "OK" : "HTTP_" + response.code();
    }
}
