package io.castvault.bench;

/** What every scenario works with. */
record Ctx(Sizes sizes, Fixtures fixtures, ServiceClient service, RawS3 raw, HeapProbe heap, CpuMeter cpu) {
}
