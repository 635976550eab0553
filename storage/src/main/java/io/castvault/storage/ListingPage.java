package io.castvault.storage;

import java.util.List;

/**
 * One bounded page of a listing in key order; {@code last} is the key to resume after (null when the listing of the
 * prefix is exhausted).
 */
public record ListingPage(List<ListedObject> objects, String last) {
}
