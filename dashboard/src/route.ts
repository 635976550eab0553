// Hash routes, so the service serves one page and any address reloads cleanly. The token is never part of them.

export type Route =
  | { name: "home" }
  | { name: "recordings"; orgId: string; query: URLSearchParams }
  | { name: "recording"; orgId: string; recordingId: string }
  | { name: "settings"; orgId: string }
  | { name: "audit"; orgId: string; query: URLSearchParams };

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "org" && parts[1]) {
    const orgId = parts[1];
    if (parts.length === 2) return { name: "recordings", orgId, query: new URLSearchParams(search) };
    if (parts[2] === "recordings" && parts[3] && parts.length === 4) return { name: "recording", orgId, recordingId: parts[3] };
    if (parts[2] === "settings" && parts.length === 3) return { name: "settings", orgId };
    if (parts[2] === "audit" && parts.length === 3) return { name: "audit", orgId, query: new URLSearchParams(search) };
  }
  return { name: "home" };
}

export function recordingsHref(orgId: string, query: URLSearchParams): string {
  const q = query.toString();
  return `#/org/${orgId}${q ? "?" + q : ""}`;
}
