package io.castvault.api.config;

import io.castvault.events.NatsSettings;
import io.castvault.events.OutboxRelay;
import io.castvault.events.SessionEndConsumer;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * Events on NATS JetStream (issue 16). Without {@code natsUrl} no event is written or published and the
 * session-end consumer does not run.
 */
@ConfigurationProperties("castvault.events")
public record EventsConfig(@Nullable String natsUrl, @Nullable String natsCreds, @Nullable String natsTruststore,
                           @Nullable String natsTruststorePassword, @Nullable String natsKeystore,
                           @Nullable String natsKeystorePassword,
                           @NotNull Duration pollInterval, @NotNull Duration leaseTtl,
                           @NotBlank String consumerStream, @NotBlank String consumerDurable,
                           @NotBlank String consumerSubject, @NotBlank String deadLetterSubject,
                           @Min(1) @Max(1000) int maxDeliveries, @NotNull Duration nakDelay,
                           @NotNull Duration maxNakDelay) {

    public boolean enabled() {
        return natsUrl != null && !natsUrl.isBlank();
    }

    public NatsSettings nats() {
        return new NatsSettings(natsUrl, natsCreds, natsTruststore, natsTruststorePassword, natsKeystore,
                natsKeystorePassword);
    }

    public OutboxRelay.Settings relay() {
        OutboxRelay.Settings d = OutboxRelay.Settings.defaults();
        return new OutboxRelay.Settings(pollInterval, leaseTtl, d.batchSize(), d.publishTimeout());
    }

    public SessionEndConsumer.Settings consumer() {
        return new SessionEndConsumer.Settings(consumerStream, consumerDurable, consumerSubject, deadLetterSubject,
                maxDeliveries, nakDelay, maxNakDelay, SessionEndConsumer.Settings.defaults().ackWait());
    }
}
