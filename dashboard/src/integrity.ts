// The integrity check: the SHA-256 of exactly the bytes the cast route served, computed in the browser, against
// the recording_sha256 the service recorded when the recording was sealed.

export type Integrity =
  | { kind: "verified"; sha256: string }
  | { kind: "mismatch"; expected: string; actual: string }
  | { kind: "unsealed" }
  | { kind: "unavailable"; reason: string };

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function checkIntegrity(data: ArrayBuffer, expected: string | undefined): Promise<Integrity> {
  if (!expected) return { kind: "unsealed" };
  if (!globalThis.crypto?.subtle) {
    return { kind: "unavailable", reason: "this browser offers WebCrypto only on HTTPS or localhost pages" };
  }
  const actual = await sha256Hex(data);
  return actual === expected.toLowerCase() ? { kind: "verified", sha256: actual } : { kind: "mismatch", expected, actual };
}
