// The service's HTTP API as the dashboard uses it. The token lives in session storage only: it is sent as a
// bearer header, never put in a URL, and goes away when the tab closes.

const TOKEN_KEY = "castvault.token";

export type Role = "admin" | "member" | "auditor";

export interface Membership {
  org_id: string;
  name: string;
  role: Role;
}

export interface Me {
  user_id: string;
  orgs: Membership[];
}

export interface Recording {
  id: string;
  org_id: string;
  machine_id: string | null;
  machine_name: string | null;
  user_id: string;
  session_type: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  metadata: Record<string, unknown> & { chunks_received?: number; bytes_received?: number; recording_sha256?: string };
  r2_key: string | null;
  legal_hold?: boolean;
  legal_hold_reason?: string | null;
  /** The store the recording was started in: the platform bucket or the org's own. */
  storage: "platform" | "custom";
}

export interface AuditEntry {
  id: number;
  occurred_at: string;
  actor: { type: "user" | "machine" | "system" | "anonymous"; id: string | null; name: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  outcome: string;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

/** The filters of the audit action; empty ones are left out. */
export interface AuditQuery {
  since?: string;
  until?: string;
  actor_id?: string;
  audit_action?: string;
  session_id?: string;
  source_ip?: string;
  outcome?: string;
  limit?: number;
  cursor?: string;
}

export interface StatusStats {
  status: string;
  count: number;
  total_duration: number;
}

export interface Page {
  recordings: Recording[];
  stats: StatusStats[];
  /** Where the next page starts; null on the last page. */
  cursor: string | null;
}

export interface ChunkSummary {
  index: number;
  key: string;
  sha256: string;
  bytes: number;
  events: number;
}

export interface Summary {
  recording_sha256?: string;
  recording_bytes?: number;
  completed_at?: string;
  transcript_lines?: number;
  chunks?: ChunkSummary[];
  missing_chunks?: number[];
}

export interface Details {
  recording: Recording;
  r2_data: Summary | null;
}

export interface Settings {
  recording_enabled: boolean;
  retention_days: number;
  storage_mode: "platform" | "custom";
  audit_retention_days?: number;
  legal_hold?: boolean;
  /** The org's own bucket as the service shows it: never the secret key, the access key masked. */
  custom_storage?: CustomStorageView | null;
}

export interface CustomStorageView {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  path_style: boolean;
  access_key: string;
}

/** What update_settings takes for the org's own bucket; secret_key is write-only. */
export interface CustomStorageInput {
  endpoint: string;
  region: string;
  bucket: string;
  prefix?: string;
  path_style?: boolean;
  access_key: string;
  secret_key: string;
}

export interface Finding {
  session_id: string | null;
  kind: string;
  object_key: string;
  detail: string;
}

/** The signed evidence of one recording: manifest hash and signing key, and the digest that lists it. */
export interface Evidence {
  ok: boolean;
  findings: Finding[];
  integrity: { sealed_at: string; manifest_sha256: string | null; key_fingerprint: string | null; digest_key: string | null } | null;
}

export interface ListQuery {
  limit: number;
  /** Either offset or cursor: a cursor page costs a first page at any depth. */
  offset?: number;
  cursor?: string;
  status?: string;
  machine_id?: string;
}

/** A failed call, with the service's error code and a message written for a person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(plainMessage(status, code, detail));
  }

  get expired(): boolean {
    return this.status === 401;
  }
}

function plainMessage(status: number, code: string, detail: string): string {
  switch (code) {
    case "UNAUTHORIZED":
      return `Your token was refused (${detail}). Make a new one with "scripts/admin token --user <id>" and sign in again.`;
    case "FEATURE_DISABLED":
      return "This org does not have the session recording feature.";
    case "FORBIDDEN":
      return `You are not allowed to do this here: ${detail}.`;
    case "NOT_FOUND":
      return "Not found: the recording does not exist, was deleted, or belongs to another org.";
    case "STORAGE_UNAVAILABLE":
      return "The object store is not answering, so recordings cannot be read or changed right now. Try again in a moment.";
    case "NETWORK":
      return "The Castvault service cannot be reached. Check that it is running, then reload.";
    default:
      return status >= 500 ? `The service failed (${status}). Try again; if it persists, check the service log.` : detail;
  }
}

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function call(path: string, init: RequestInit): Promise<Response> {
  const token = session.token();
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers, cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "network error");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    if (body?.error?.code) return new ApiError(response.status, body.error.code, body.error.message ?? "");
  } catch {
    // not the envelope (a proxy's page, say): fall through to the status alone
  }
  const code = response.status === 401 ? "UNAUTHORIZED" : response.status === 404 ? "NOT_FOUND" : "HTTP_" + response.status;
  return new ApiError(response.status, code, response.statusText || `HTTP ${response.status}`);
}

async function envelope<T>(response: Response): Promise<T> {
  const body = await response.json();
  return body.data as T;
}

async function action<T>(orgId: string, name: string, fields: Record<string, unknown> = {}): Promise<T> {
  const response = await call("/api/session-recording", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...fields, action: name, org_id: orgId }),
  });
  return envelope<T>(response);
}

export const api = {
  me: async (): Promise<Me> => envelope<Me>(await call("/api/me", { method: "GET" })),
  list: (orgId: string, q: ListQuery) => action<Page>(orgId, "list", { ...q }),
  get: (orgId: string, sessionId: string) => action<Details>(orgId, "get", { session_id: sessionId }),
  remove: (orgId: string, sessionId: string) => action<{ deleted: string }>(orgId, "delete", { session_id: sessionId }),
  settings: (orgId: string) => action<Settings>(orgId, "get_settings"),
  updateSettings: (orgId: string, changes: Partial<Omit<Settings, "custom_storage">> & { custom_storage?: CustomStorageInput }) => action<{ updated: boolean }>(orgId, "update_settings", changes),
  audit: (orgId: string, q: AuditQuery) =>
    action<AuditPage>(orgId, "audit", Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== ""))),
  verify: (orgId: string, sessionId: string) => action<Evidence>(orgId, "verify", { session_id: sessionId }),
  /** The evidence bundle (tar), fetched with the bearer token so the token never appears in a URL. */
  evidence: async (orgId: string, sessionId: string): Promise<Blob> =>
    (await call(`/api/session-recording/${orgId}/${sessionId}/evidence`, { method: "GET" })).blob(),
  /** The whole cast file's bytes, fetched with the bearer token (the player itself cannot send headers). */
  cast: async (orgId: string, sessionId: string): Promise<ArrayBuffer> =>
    (await call(`/api/session-recording/${orgId}/${sessionId}/cast`, { method: "GET" })).arrayBuffer(),
};
