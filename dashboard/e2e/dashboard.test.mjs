// The dashboard in a real browser against the real service, PostgreSQL and S3 (started by scripts/e2e).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { action, admin, env, getObject, jwt, launchBrowser, ok, putObject, randomUUID, record, screenshotPath } from "./support.mjs";

const HEADER = JSON.stringify({ version: 2, width: 80, height: 12, env: { SHELL: "/bin/bash", TERM: "xterm-256color" } });
const line = (t, text) => JSON.stringify([t, "o", text]);
const PROMPT = "\u001b[1;32mops@build-01\u001b[0m:~$ ";
// A short real-looking session in two chunks; the second one is what gets tampered with in the bucket.
const DEMO_CHUNKS = [
  [HEADER, line(0.1, PROMPT), line(0.6, "echo hello castvault\r\n"), line(0.8, "hello castvault\r\n"), line(0.9, PROMPT)].join("\n") + "\n",
  [line(1.4, "uname -sr\r\n"), line(1.6, "Linux 6.1.0-castvault\r\n"), line(1.8, PROMPT)].join("\n") + "\n",
];
const fillerChunk = (i) => [line(0.2, `$ make test-${i}\r\n`), line(0.9, `ok ${i}\r\n`)].join("\n") + "\n";

const seed = {};
let browser;
let profile;

async function shot(page, name) {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

async function signIn(token, { expectOrgs = true } = {}) {
  const page = await browser.newPage();
  await page.goto(env.baseUrl + "/");
  await page.locator("#token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (expectOrgs) await page.locator(".org-choice").first().waitFor();
  return page;
}

async function openOrg(page, orgId) {
  await page.locator(`.org-choice[data-org="${orgId}"]`).click();
}

async function apiStats(token, filter = {}) {
  const data = await ok(token, seed.org, "list", { limit: 1, ...filter });
  return Object.fromEntries(data.stats.map((s) => [s.status, s]));
}

async function expectStatsMatch(page, token, filter) {
  const stats = await apiStats(token, filter);
  const total = Object.values(stats).reduce((n, s) => n + s.count, 0);
  const seconds = Object.values(stats).reduce((n, s) => n + s.total_duration, 0);
  assert.equal(await page.getByTestId("stat-count-all").textContent(), String(total));
  assert.equal(Number(await page.getByTestId("stat-duration-all").getAttribute("data-seconds")), seconds);
  for (const status of ["active", "completed"]) {
    assert.equal(await page.getByTestId(`stat-count-${status}`).textContent(), String(stats[status]?.count ?? 0), status);
    assert.equal(Number(await page.getByTestId(`stat-duration-${status}`).getAttribute("data-seconds")), stats[status]?.total_duration ?? 0, status);
  }
  return total;
}

async function rows(page) {
  await page.locator("table.recordings tbody tr").first().waitFor();
  return page.locator("table.recordings tbody tr").evaluateAll((trs) =>
    trs.map((tr) => ({ id: tr.dataset.id, status: tr.querySelector("[data-status]").dataset.status, machine: tr.cells[1].textContent })),
  );
}

describe("dashboard", () => {
  before(async () => {
    // The operator's CLI, as the README has a person do it; independent commands run side by side.
    const [org, other, stranger] = (
      await Promise.all(["Acme Ops", "Globex", "Initech"].map((name) => admin("create-org", "--name", name)))
    ).map((o) => o.org_id);
    // users get their ids up front, so their memberships and tokens can be made side by side
    const [adminId, auditorId, memberId] = [randomUUID(), randomUUID(), randomUUID()];
    const [adminToken, auditorToken, memberToken] = await Promise.all([
      ...[adminId, auditorId, memberId].map(async (user) => (await admin("token", "--user", user)).token),
      admin("add-user", "--org", org, "--role", "admin", "--user", adminId, "--name", "alice"),
      admin("add-user", "--org", org, "--role", "auditor", "--user", auditorId, "--name", "audrey"),
      admin("add-user", "--org", org, "--role", "member", "--user", memberId, "--name", "max"),
      admin("add-user", "--org", other, "--role", "auditor", "--user", adminId),
    ]);
    const [build, web, gone] = (
      await Promise.all([
        admin("add-machine", "--org", org, "--name", "build-01", "--owner", memberId),
        admin("add-machine", "--org", org, "--name", "web-02", "--owner", adminId),
        admin("add-machine", "--org", org, "--name", "old-box", "--owner", adminId),
      ])
    ).map((m) => m.machine_id);
    Object.assign(seed, { org, other, stranger, adminId, auditorId, memberId, build, web, adminToken, auditorToken, memberToken });

    await ok(seed.adminToken, org, "update_settings", { recording_enabled: true });
    await record(seed.adminToken, org, gone, [fillerChunk(99)], { duration: 42 });
    await admin("delete-machine", "--machine", gone);
    for (let i = 0; i < 14; i++) await record(seed.adminToken, org, i % 3 === 0 ? web : build, [fillerChunk(i)], { duration: 30 + i * 17 });
    seed.active = [
      await record(seed.adminToken, org, web, [fillerChunk(100)], { active: true }),
      await record(seed.adminToken, org, build, [fillerChunk(101)], { active: true }),
    ];
    seed.memberRecording = await record(seed.memberToken, org, build, [fillerChunk(200)], { type: "console", duration: 75 });
    seed.demo = await record(seed.adminToken, org, build, DEMO_CHUNKS);

    profile = mkdtempSync(join(tmpdir(), "castvault-chromium-"));
    browser = await launchBrowser(profile);
  }, { timeout: 300_000 }); // a dozen JVM starts of the admin CLI on a busy two-core machine

  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("signs in with a pasted token kept in session storage, and offers the caller's orgs", async () => {
    const page = await browser.newPage();
    await page.goto(env.baseUrl + "/");
    await page.locator("#token").waitFor();
    await shot(page, "01-sign-in");
    await page.locator("#token").fill(seed.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".org-choice").first().waitFor();
    assert.ok(!page.url().includes(seed.adminToken), "the token is never in the URL");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("castvault.token")), seed.adminToken);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    const orgs = await page.locator(".org-choice").allTextContents();
    assert.equal(orgs.length, 2);
    assert.match(orgs.find((o) => o.includes("Acme Ops")), /admin/);
    assert.match(orgs.find((o) => o.includes("Globex")), /auditor/);
    await shot(page, "02-orgs");
    await page.close();
  });

  it("shows stats that match the API, newest first, with server-side pages", async () => {
    const page = await signIn(seed.adminToken);
    await openOrg(page, seed.org);
    await page.getByTestId("stat-count-all").waitFor();
    const total = await expectStatsMatch(page, seed.adminToken, {});
    assert.equal(total, 19);
    const first = await rows(page);
    assert.equal(first.length, 19);
    assert.equal(first[0].id, seed.demo, "newest first");
    assert.ok(first.some((r) => r.machine === "deleted machine"), "a deleted machine is named as such");
    await shot(page, "03-recordings");

    await page.locator("#page-size").selectOption("10");
    await page.getByTestId("page-info").filter({ hasText: "1–10 of 19" }).waitFor();
    assert.equal((await rows(page)).length, 10);
    await page.getByRole("link", { name: "Next" }).click();
    await page.getByTestId("page-info").filter({ hasText: "11–19 of 19 · page 2 of 2" }).waitFor();
    assert.match(page.url(), /[?&]after=[A-Za-z0-9_-]+/, "Next follows the page's cursor, not an offset");
    assert.equal(await page.locator("a[rel=next]").count(), 0, "the last page offers no Next");
    const second = await rows(page);
    assert.equal(second.length, 9);
    const api = await ok(seed.adminToken, seed.org, "list", { limit: 10, offset: 10 });
    assert.deepEqual(second.map((r) => r.id), api.recordings.map((r) => r.id));
    await page.close();
  });

  it("filters by status and by machine", async () => {
    const page = await signIn(seed.adminToken);
    await openOrg(page, seed.org);
    await page.locator("#filter-status").selectOption("active");
    await page.getByTestId("page-info").filter({ hasText: "of 2" }).waitFor();
    const active = await rows(page);
    assert.deepEqual(new Set(active.map((r) => r.id)), new Set(seed.active));
    assert.ok(active.every((r) => r.status === "active"));
    await expectStatsMatch(page, seed.adminToken, { status: "active" });

    await page.locator("#filter-status").selectOption("");
    await page.locator("a.machine-link", { hasText: "web-02" }).first().click();
    await page.getByTestId("machine-filter").waitFor();
    const web = await rows(page);
    assert.ok(web.every((r) => r.machine === "web-02"));
    const total = await expectStatsMatch(page, seed.adminToken, { machine_id: seed.web });
    assert.equal(web.length, total);
    assert.equal(total, 6);
    await shot(page, "04-filtered");
    await page.close();
  });

  it("opens a recording: details, chunks, verified badge and a player that renders frames", async () => {
    const page = await signIn(seed.adminToken);
    await openOrg(page, seed.org);
    await page.locator(`tr[data-id="${seed.demo}"] a.open`).click();
    const badge = page.getByTestId("integrity");
    await badge.locator("text=Verified").waitFor();
    const details = await ok(seed.adminToken, seed.org, "get", { session_id: seed.demo });
    assert.ok((await badge.textContent()).includes(details.recording.metadata.recording_sha256));
    assert.equal(await page.locator("table.chunks tbody tr").count(), 2);
    const evidence = page.getByTestId("evidence");
    await evidence.locator("text=Signature valid").waitFor();
    assert.ok((await evidence.textContent()).includes("SHA256:"), "the signing key's fingerprint is shown");

    const terminal = page.locator(".ap-term");
    await terminal.waitFor();
    await page.locator(".ap-player").click();
    await page.waitForFunction(() => document.querySelector(".ap-term")?.textContent.includes("hello castvault"), null, { timeout: 15000 });
    await page.waitForFunction(() => document.querySelector(".ap-term")?.textContent.includes("Linux 6.1.0-castvault"), null, { timeout: 15000 });
    await shot(page, "05-recording-verified");

    // once it has ended (1.8 s), change speed (the frame stays where it was), seek to the start and play:
    // at 2x the last frame (1.6 s into the recording) comes in well under 1.6 s
    await page.waitForTimeout(600);
    await page.locator("#speed").selectOption("2");
    await page.waitForFunction(() => document.querySelector(".ap-term")?.textContent.includes("Linux 6.1.0-castvault"));
    await page.locator(".ap-wrapper").focus();
    await page.keyboard.press("0");
    await page.waitForFunction(() => !document.querySelector(".ap-term")?.textContent.includes("hello castvault"));
    await page.keyboard.press("Space");
    const started = Date.now();
    await page.waitForFunction(() => document.querySelector(".ap-term")?.textContent.includes("Linux 6.1.0-castvault"), null, { timeout: 15000 });
    const took = Date.now() - started;
    assert.ok(took < 1550, `2x playback of 1.6 s took ${took} ms`);
    await page.close();
  });

  it("shows a loud mismatch once the sealed recording was altered in the bucket", async () => {
    // sealed: the download is the one object recording.cast (the chunk objects are gone)
    const key = `recordings/${seed.org}/${seed.demo}/recording.cast`;
    const original = await getObject(key);
    const tampered = Buffer.from(original.toString("utf8").replace("castvault", "TAMPERED!"));
    assert.notDeepEqual(tampered, original);
    await putObject(key, tampered);

    const page = await signIn(seed.adminToken);
    await page.goto(`${env.baseUrl}/#/org/${seed.org}/recordings/${seed.demo}`);
    const badge = page.getByTestId("integrity");
    await badge.locator("text=Integrity mismatch").waitFor();
    assert.equal(await badge.getAttribute("role"), "alert");
    assert.ok(!(await badge.textContent()).includes("Verified"));
    // the signed manifest names the altered object
    await page.getByTestId("evidence").locator(`text=${key}`).waitFor();
    await shot(page, "06-recording-mismatch");
    await page.close();
  });

  it("lets an admin change retention, showing the 1–365 clamp", async () => {
    const page = await signIn(seed.adminToken);
    await page.goto(`${env.baseUrl}/#/org/${seed.org}/settings`);
    await page.locator("#retention-days").fill("400");
    await page.locator("#retention-clamp").filter({ hasText: "will be stored as 365" }).waitFor();
    await page.locator("#save-settings").click();
    await page.getByTestId("settings-notice").filter({ hasText: "clamped to 365" }).waitFor();
    assert.equal((await ok(seed.adminToken, seed.org, "get_settings")).retention_days, 365);

    await page.locator("#retention-days").fill("30");
    // custom needs the org's own bucket, probed before it is saved: wrong keys are refused in plain words and
    // nothing is saved; the right ones are (here a folder of the service's own S3 server: development allows
    // a loopback endpoint)
    await page.locator("#storage-mode").selectOption("custom");
    await page.getByTestId("custom-store").waitFor();
    await page.locator("#store-endpoint").fill(env.s3.endpoint);
    await page.locator("#store-bucket").fill(env.s3.bucket);
    await page.locator("#store-prefix").fill("org-own");
    await page.locator("#store-access-key").fill(env.s3.accessKey);
    await page.locator("#store-secret-key").fill("not-the-secret");
    await page.locator("#save-settings").click();
    await page.locator("p.field-error").filter({ hasText: "access denied" }).waitFor();
    assert.equal((await ok(seed.adminToken, seed.org, "get_settings")).storage_mode, "platform");
    await page.locator("#store-secret-key").fill(env.s3.secretKey);
    await page.locator("#save-settings").click();
    await page.getByTestId("settings-notice").filter({ hasText: "passed the test write, read and delete" }).waitFor();
    const custom = await ok(seed.adminToken, seed.org, "get_settings");
    assert.equal(custom.storage_mode, "custom");
    assert.deepEqual(custom.custom_storage, { endpoint: env.s3.endpoint, region: "us-east-1", bucket: env.s3.bucket,
      prefix: "org-own/", path_style: true, access_key: env.s3.accessKey.slice(0, 4) + "****" });
    assert.equal(await page.locator("#store-secret-key").inputValue(), "", "the secret is write-only");
    // a recording started now is kept in the org's bucket, and the table and its page say so; older ones stay put
    const inOrgBucket = await record(seed.adminToken, seed.org, seed.build, [fillerChunk(300)], { duration: 12 });
    assert.equal((await ok(seed.adminToken, seed.org, "get", { session_id: inOrgBucket })).recording.storage, "custom");
    await page.goto(`${env.baseUrl}/#/org/${seed.org}`);
    await page.locator(`tr[data-id="${inOrgBucket}"] [data-storage="custom"]`).filter({ hasText: "org's bucket" }).waitFor();
    assert.equal(await page.locator(`tr[data-id="${seed.demo}"] [data-storage]`).getAttribute("data-storage"), "platform");
    await shot(page, "07a-recordings-store");
    await page.locator(`tr[data-id="${inOrgBucket}"] a.open`).click();
    await page.locator("table.kv [data-storage=custom]").waitFor();
    await page.goto(`${env.baseUrl}/#/org/${seed.org}/settings`);
    await page.getByTestId("custom-store").waitFor();
    // back to platform: the saved store stays on record for the recordings written there
    await page.locator("#storage-mode").selectOption("platform");
    assert.equal(await page.getByTestId("custom-store").isHidden(), true);
    await page.locator("#save-settings").click();
    await page.getByTestId("settings-notice").filter({ hasText: /^Saved\.$/ }).waitFor();
    const stored = await ok(seed.adminToken, seed.org, "get_settings");
    assert.deepEqual(stored, { recording_enabled: true, retention_days: 30, storage_mode: "platform", audit_retention_days: 365,
      legal_hold: false, custom_storage: custom.custom_storage });
    await page.locator("#retention-days").fill("0");
    await page.locator("#retention-clamp").filter({ hasText: "will be stored as 1" }).waitFor();
    await shot(page, "07-settings-admin");
    await page.close();
  });

  it("deletes a recording only after confirmation", async () => {
    const page = await signIn(seed.adminToken);
    const victim = seed.active[0];
    await page.goto(`${env.baseUrl}/#/org/${seed.org}/recordings/${victim}`);
    await page.locator("#delete").click();
    await page.locator("dialog.confirm").waitFor();
    await shot(page, "08-delete-confirm");
    await page.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await action(seed.adminToken, seed.org, "get", { session_id: victim })).status, 200, "cancel keeps it");

    await page.locator("#delete").click();
    await page.locator("#confirm-delete").click();
    await page.locator(".alert-ok", { hasText: `Recording ${victim} was deleted.` }).waitFor();
    assert.equal((await action(seed.adminToken, seed.org, "get", { session_id: victim })).status, 404);
    await page.close();
  });

  it("shows an auditor no control they may not use", async () => {
    const page = await signIn(seed.auditorToken);
    await openOrg(page, seed.org);
    await page.getByTestId("stat-count-all").waitFor();
    await page.locator(`tr[data-id="${seed.memberRecording}"] a.open`).click();
    await page.getByTestId("integrity").locator("text=Verified").waitFor();
    assert.equal(await page.locator("#delete").count(), 0);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("retention-days").waitFor();
    assert.equal(await page.getByTestId("retention-days").textContent(), "30 days");
    assert.equal(await page.locator("#save-settings, input, select").count(), 0);
    await shot(page, "09-settings-auditor");
    // and the server refuses anyway
    assert.equal((await action(seed.auditorToken, seed.org, "update_settings", { retention_days: 5 })).status, 403);
    await page.close();
  });

  it("lets a member open their own recording but not list the org's", async () => {
    const page = await signIn(seed.memberToken);
    await openOrg(page, seed.org);
    await page.locator("#open-id").fill(seed.memberRecording);
    await shot(page, "10-member-home");
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByTestId("integrity").locator("text=Verified").waitFor();
    assert.equal(await page.locator("#delete").count(), 0);
    assert.equal(await page.locator("table.recordings").count(), 0);
    await page.close();
  });

  it("shows the audit trail in UTC with filters, and each recording's history", async () => {
    // the auditor reads the member's recording, the admin puts it on hold, and a delete is refused
    await ok(seed.auditorToken, seed.org, "get", { session_id: seed.memberRecording });
    await ok(seed.adminToken, seed.org, "set_legal_hold", { session_id: seed.memberRecording, hold: true, reason: "case 7" });
    const refused = await action(seed.adminToken, seed.org, "delete", { session_id: seed.memberRecording });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "LEGAL_HOLD");

    const page = await signIn(seed.auditorToken);
    await openOrg(page, seed.org);
    await page.getByRole("link", { name: "Audit" }).click();
    await page.locator("table.audit tbody tr").first().waitFor();
    const times = await page.getByTestId("audit-time").allTextContents();
    assert.ok(times.length > 10, `entries shown: ${times.length}`);
    for (const t of times) assert.match(t, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC$/);
    const ids = await page.locator("table.audit tbody tr").evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id)));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest first");
    // the first row is the newest entry the API has (the page's own audit read comes after it)
    const newest = (await ok(seed.adminToken, seed.org, "audit", { limit: 5 })).entries.map((e) => e.id);
    assert.ok(newest.includes(ids[0]), `${ids[0]} among ${newest}`);
    await shot(page, "15-audit");

    await page.locator("#audit-audit_action").fill("delete");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForFunction(() => {
      const trs = [...document.querySelectorAll("table.audit tbody tr")];
      return trs.length > 0 && trs.every((tr) => tr.dataset.action === "delete");
    });
    const refusedRow = page.locator('table.audit tbody tr[data-outcome="LEGAL_HOLD"]');
    assert.equal(await refusedRow.count(), 1);
    assert.match(await refusedRow.textContent(), /alice/);
    await shot(page, "16-audit-filtered");

    await page.goto(`${env.baseUrl}/#/org/${seed.org}/recordings/${seed.memberRecording}`);
    const history = page.getByTestId("history");
    await history.locator('tr[data-action="set_legal_hold"]').waitFor();
    const actions = await history.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
    for (const a of ["start", "complete", "get", "cast_download", "set_legal_hold", "delete"]) {
      assert.ok(actions.includes(a), `${a} in the history: ${actions}`);
    }
    assert.match(await page.getByTestId("legal-hold").textContent(), /case 7/);
    assert.match(await history.locator('tr[data-action="set_legal_hold"]').textContent(), /alice/);
    await shot(page, "17-recording-history");
    await ok(seed.adminToken, seed.org, "set_legal_hold", { session_id: seed.memberRecording, hold: false });
    await page.close();
  });

  it("explains an expired token, a foreign org and a missing recording in plain words", async () => {
    const expired = await signIn(jwt(seed.adminId, -3600), { expectOrgs: false });
    await expired.locator(".signin [role=alert]").filter({ hasText: "expired" }).waitFor();
    assert.equal(await expired.evaluate(() => sessionStorage.getItem("castvault.token")), null);
    await shot(expired, "11-error-expired-token");
    await expired.close();

    const page = await signIn(seed.adminToken);
    await page.goto(`${env.baseUrl}/#/org/${seed.stranger}`);
    await page.locator("[role=alert]").filter({ hasText: "not a member of this org" }).waitFor();
    await shot(page, "12-error-forbidden");

    await page.goto(`${env.baseUrl}/#/org/${seed.org}/recordings/${randomUUID()}`);
    await page.locator("[role=alert]").filter({ hasText: "Not found" }).waitFor();
    await shot(page, "13-error-not-found");
    await page.close();
  });

  // Last: it stops the object store.
  it("says so when the object store is down", async () => {
    process.kill(env.s3.pid, "SIGTERM");
    const page = await signIn(seed.adminToken);
    await page.goto(`${env.baseUrl}/#/org/${seed.org}/recordings/${seed.memberRecording}`);
    await page.locator("[role=alert]").filter({ hasText: "object store is not answering" }).waitFor({ timeout: 30000 });
    await shot(page, "14-error-storage-down");
    await page.close();
  });
});
