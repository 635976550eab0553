package io.castvault.storage;

public record BlobInfo(long length) {
}
