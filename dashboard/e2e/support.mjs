// What the browser tests need besides the browser: the operator CLI, the service's API, the S3 bucket behind it
// (to alter an object as an attacker or a faulty disk would), and tokens. scripts/e2e sets the environment.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through scripts/e2e`);
  return value;
}

export const env = {
  baseUrl: required("E2E_BASE_URL"),
  screenshots: required("E2E_SCREENSHOTS"),
  jwtSecret: required("AUTH_JWT_SECRET"),
  s3: {
    endpoint: required("S3_ENDPOINT"),
    bucket: required("S3_BUCKET"),
    accessKey: required("S3_ACCESS_KEY"),
    secretKey: required("S3_SECRET_KEY"),
    pid: Number(required("E2E_S3PROXY_PID")),
  },
};

/** `scripts/admin` without the wrapper: the same CLI class in the jar under test, against the same database. */
export async function admin(...args) {
  const { stdout } = await promisify(execFile)(required("E2E_JAVA"), ["-cp", required("E2E_JAR"), "io.castvault.api.admin.AdminCli", ...args], {
    encoding: "utf8",
    // one command needs a connection or two, not the service's pool; PostgreSQL is shared with other test runs
    env: { ...process.env, DATABASE_POOL_SIZE: "2" },
  });
  return JSON.parse(stdout);
}

/** One user action through the public API; returns {status, body}. */
export async function action(token, orgId, name, fields = {}) {
  const response = await fetch(`${env.baseUrl}/api/session-recording`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...fields, action: name, org_id: orgId }),
  });
  return { status: response.status, body: await response.json() };
}

export async function ok(token, orgId, name, fields = {}) {
  const r = await action(token, orgId, name, fields);
  if (!r.body.success) throw new Error(`${name} failed: ${r.status} ${JSON.stringify(r.body.error)}`);
  return r.body.data;
}

/** Starts, uploads the chunks of, and (unless `active`) completes a recording; returns its id. */
export async function record(token, orgId, machineId, chunks, { type = "ssh", active = false, duration } = {}) {
  const { session_id: id } = await ok(token, orgId, "start", { machine_id: machineId, session_type: type });
  for (const [index, data] of chunks.entries()) {
    await ok(token, orgId, "upload_chunk", { session_id: id, chunk_index: index, chunk_data: data });
  }
  if (!active) await ok(token, orgId, "complete", { session_id: id, ...(duration !== undefined ? { duration_seconds: duration } : {}) });
  return id;
}

/** An HS256 token signed with the service's secret, with any expiry (a past one for the expired-token case). */
export function jwt(userId, expiresInSeconds) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: userId, iat: now, exp: now + expiresInSeconds })}`;
  return `${unsigned}.${createHmac("sha256", env.jwtSecret).update(unsigned).digest("base64url")}`;
}

// S3 with signature version 2 (S3Proxy accepts it): a few lines instead of an SDK for two calls.
async function s3(method, key, body) {
  const date = new Date().toUTCString();
  const type = body ? "application/octet-stream" : "";
  const resource = `/${env.s3.bucket}/${key}`;
  const signature = createHmac("sha1", env.s3.secretKey).update(`${method}\n\n${type}\n${date}\n${resource}`).digest("base64");
  const headers = { Date: date, Authorization: `AWS ${env.s3.accessKey}:${signature}` };
  if (body) headers["Content-Type"] = type;
  const response = await fetch(`${env.s3.endpoint}${resource}`, { method, headers, body });
  if (!response.ok) throw new Error(`S3 ${method} ${key}: ${response.status} ${await response.text()}`);
  return response;
}

export async function getObject(key) {
  return Buffer.from(await (await s3("GET", key)).arrayBuffer());
}

export async function putObject(key, bytes) {
  await s3("PUT", key, bytes);
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Debian's Chromium with a fresh profile (a persistent context is how playwright gives it its own user-data-dir). */
export async function launchBrowser(profileDir) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 900 },
  });
}

export function screenshotPath(name) {
  mkdirSync(env.screenshots, { recursive: true });
  return join(env.screenshots, `${name}.png`);
}

export { randomUUID };
