package io.castvault.core;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * What validating a piece of asciicast found out about it.
 *
 * @param header     the header line, when the piece started with one (always for whole files)
 * @param eventCount number of event lines
 * @param lastTime   the latest absolute event time in seconds, zero without events
 */
public record CastSummary(Optional<CastHeader> header, long eventCount, BigDecimal lastTime) {
}
