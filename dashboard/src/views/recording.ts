import * as AsciinemaPlayer from "asciinema-player";
import "asciinema-player/dist/bundle/asciinema-player.css";
import { ApiError, api, type Details, type Evidence } from "../api";
import { errorBox, h, replace } from "../dom";
import { bytes, count, duration, utc, when } from "../format";
import { checkIntegrity, type Integrity } from "../integrity";
import type { ViewContext } from "../context";
import { machineCell, statusBadge, storeCell, userCell } from "./common";
import { actorCell, outcomeBadge } from "./audit";

const SPEEDS = [0.5, 1, 1.5, 2, 4];

export async function renderRecording(root: HTMLElement, ctx: ViewContext, recordingId: string): Promise<void> {
  const details = await api.get(ctx.org.org_id, recordingId);
  if (!ctx.current()) return;
  const r = details.recording;
  const replay = h("div", { class: "replay card" }, h("p", { class: "muted" }, "Downloading the recording…"));
  const badge = h("div", { class: "integrity pending", "data-testid": "integrity" }, "Checking integrity…");
  const history = h("div", { class: "card history", "data-testid": "history" }, h("h2", {}, "History"), h("p", { class: "muted" }, "Loading…"));

  replace(
    root,
    h(
      "section",
      {},
      h(
        "div",
        { class: "page-head" },
        h("a", { href: `#/org/${ctx.org.org_id}`, class: "back" }, "← Recordings"),
        h("h1", {}, "Recording ", h("code", {}, r.id)),
        statusBadge(r.status),
        h("span", { class: "spacer" }),
        ctx.org.role === "admin" ? deleteControl(ctx, r.id) : null,
      ),
      badge,
      r.status === "completed" ? evidencePanel(ctx, r.id) : null,
      replay,
      h("div", { class: "columns" }, metadataCard(ctx, details), chunksCard(details)),
      ctx.org.role === "member" ? null : history,
    ),
  );
  if (ctx.org.role !== "member") void showHistory(history, ctx, r.id);

  let cast: ArrayBuffer;
  try {
    cast = await api.cast(ctx.org.org_id, r.id);
  } catch (e) {
    if (!ctx.current()) return;
    if (e instanceof ApiError && e.expired) throw e;
    const message = e instanceof ApiError ? e.message : String(e);
    replace(replay, errorBox(`The recording could not be downloaded. ${message}`));
    replace(badge, "Integrity not checked: the recording could not be downloaded.");
    badge.className = "integrity unknown";
    return;
  }
  if (!ctx.current()) return;
  const expected = expectedSha256(details);
  showIntegrity(badge, await checkIntegrity(cast, expected));
  mountPlayer(replay, ctx, cast, r.id);
}

/** The digest the service recorded when it sealed the recording; the row's copy comes first, the summary's next. */
function expectedSha256(d: Details): string | undefined {
  return d.recording.metadata.recording_sha256 ?? d.r2_data?.recording_sha256;
}

function showIntegrity(badge: HTMLElement, result: Integrity): void {
  switch (result.kind) {
    case "verified":
      badge.className = "integrity verified";
      replace(
        badge,
        h("span", { class: "integrity-mark" }, "✓"),
        h("strong", {}, "Verified"),
        h("span", {}, " — the SHA-256 of the downloaded recording matches the one recorded when it was sealed: "),
        h("code", { title: result.sha256 }, result.sha256),
      );
      return;
    case "mismatch":
      badge.className = "integrity mismatch";
      badge.setAttribute("role", "alert");
      replace(
        badge,
        h("span", { class: "integrity-mark" }, "✗"),
        h("strong", {}, "Integrity mismatch"),
        h("span", {}, " — the recording served now is not the one that was sealed. It may have been altered in storage."),
        h("dl", {}, h("dt", {}, "expected"), h("dd", {}, h("code", {}, result.expected)), h("dt", {}, "downloaded"), h("dd", {}, h("code", {}, result.actual))),
      );
      return;
    case "unsealed":
      badge.className = "integrity unknown";
      replace(badge, h("strong", {}, "Not sealed yet"), h("span", {}, " — the recording is still active; its digest is recorded when it completes."));
      return;
    case "unavailable":
      badge.className = "integrity unknown";
      replace(badge, h("strong", {}, "Integrity not checked"), h("span", {}, ` — ${result.reason}.`));
      return;
  }
}

/**
 * The signed evidence: for admins and auditors the server-side check of manifest, signature and objects (with the
 * key fingerprint and the digest that lists the recording); for everyone who may read the recording, the bundle
 * to verify offline with sha256sum and ssh-keygen.
 */
function evidencePanel(ctx: ViewContext, id: string): HTMLElement {
  const status = h("div", { "data-testid": "evidence-status" });
  const error = h("p", { class: "field-error", role: "status" });
  const button = h("button", { type: "button", id: "evidence" }, "Download evidence bundle");
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      const blob = await api.evidence(ctx.org.org_id, id);
      const a = h("a", { href: URL.createObjectURL(blob), download: `castvault-evidence-${id}.tar` });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      if (e instanceof ApiError && e.expired) throw e;
      error.textContent = e instanceof ApiError ? e.message : String(e);
    } finally {
      button.disabled = false;
    }
  });
  const panel = h(
    "div",
    { class: "card evidence", "data-testid": "evidence" },
    h("h2", {}, "Signed evidence"),
    status,
    h("div", { class: "actions" }, button, h("span", { class: "muted" }, " a tar with the cast, the signed manifest, allowed_signers and VERIFY.md")),
    error,
  );
  if (ctx.org.role === "admin" || ctx.org.role === "auditor") {
    replace(status, h("p", { class: "muted" }, "Checking the signature and the stored objects…"));
    api.verify(ctx.org.org_id, id).then(
      (ev) => ctx.current() && replace(status, evidenceSummary(ev)),
      (e) => ctx.current() && replace(status, errorBox(e instanceof ApiError ? e.message : String(e))),
    );
  }
  return panel;
}

function evidenceSummary(ev: Evidence): HTMLElement {
  const i = ev.integrity;
  const row = (label: string, value: Node | string) => h("tr", {}, h("th", {}, label), h("td", {}, value));
  return h(
    "div",
    {},
    ev.ok
      ? h("p", { class: "integrity verified" }, h("span", { class: "integrity-mark" }, "✓"), h("strong", {}, "Signature valid"), " — the manifest is signed by the org's key and every object matches it.")
      : h(
          "div",
          { class: "integrity mismatch", role: "alert" },
          h("strong", {}, "Evidence check failed"),
          h("ul", {}, ...ev.findings.map((f) => h("li", {}, h("strong", {}, f.kind), " ", h("code", {}, f.object_key), ": ", f.detail))),
        ),
    h(
      "table",
      { class: "kv" },
      h(
        "tbody",
        {},
        row("Key fingerprint", i?.key_fingerprint ? h("code", {}, i.key_fingerprint) : "—"),
        row("Manifest SHA-256", i?.manifest_sha256 ? h("code", {}, i.manifest_sha256) : "not written yet"),
        row("Covered by digest", i?.digest_key ? h("code", {}, i.digest_key) : "pending: the next digest lists it"),
      ),
    ),
  );
}

function mountPlayer(container: HTMLElement, ctx: ViewContext, cast: ArrayBuffer, id: string): void {
  const text = new TextDecoder().decode(cast);
  const screen = h("div", { class: "player", "data-testid": "player" });
  let speed = 1;
  let playing = false;
  let player: AsciinemaPlayer.Player | undefined;

  const create = (startAt: number, autoPlay: boolean) => {
    player?.dispose();
    screen.replaceChildren();
    player = AsciinemaPlayer.create({ data: text }, screen, {
      speed,
      startAt,
      autoPlay,
      preload: true,
      fit: "width",
      idleTimeLimit: 3,
      terminalFontSize: "small",
    });
    // A paused player shows nothing until it plays; seeking draws the frame where the old one stood.
    if (startAt > 0 && !autoPlay) void player.seek(startAt);
    player.addEventListener("play", () => (playing = true));
    player.addEventListener("playing", () => (playing = true));
    player.addEventListener("pause", () => (playing = false));
    player.addEventListener("ended", () => (playing = false));
  };

  const speedSelect = h(
    "select",
    {
      id: "speed",
      onchange: () => {
        speed = Number(speedSelect.value);
        // The player takes its speed when created: start a new one where this one was.
        create(player?.getCurrentTime() ?? 0, playing);
      },
    },
    ...SPEEDS.map((s) => h("option", { value: s, selected: s === 1 }, `${s}×`)),
  );
  const download = h("a", { class: "button", download: `${id}.cast`, href: URL.createObjectURL(new Blob([cast], { type: "application/x-asciicast" })) }, "Download .cast");

  replace(
    container,
    screen,
    h(
      "div",
      { class: "player-bar" },
      h("label", { for: "speed" }, "Speed"),
      speedSelect,
      h("span", { class: "hint" }, "Space plays or pauses, ← → seek, click the bar to jump."),
      h("span", { class: "spacer" }),
      h("span", { class: "muted" }, bytes(cast.byteLength)),
      download,
    ),
  );
  create(0, false);
  ctx.onLeave(() => {
    player?.dispose();
    URL.revokeObjectURL(download.href);
  });
}

function metadataCard(ctx: ViewContext, d: Details): HTMLElement {
  const r = d.recording;
  const row = (label: string, value: Node | string) => h("tr", {}, h("th", {}, label), h("td", {}, value));
  return h(
    "div",
    { class: "card" },
    h("h2", {}, "Details"),
    h(
      "table",
      { class: "kv" },
      h(
        "tbody",
        {},
        row("Machine", machineCell(r)),
        row("User", userCell(r.user_id, ctx.me.user_id)),
        row("Type", r.session_type),
        row("Started", when(r.started_at)),
        row("Ended", when(r.ended_at)),
        row("Duration", duration(r.duration_seconds)),
        row("Chunks received", count(r.metadata.chunks_received ?? 0)),
        row("Bytes received", bytes(r.metadata.bytes_received)),
        r.metadata.reported_by_agent ? row("Reported by", "agent") : null,
        d.r2_data?.transcript_lines !== undefined ? row("Transcript lines", count(d.r2_data.transcript_lines)) : null,
        row("Stored in", storeCell(r)),
        row("Summary object", r.r2_key ? h("code", {}, r.r2_key) : "—"),
        row("Legal hold", r.legal_hold ? h("span", { class: "hold", "data-testid": "legal-hold" }, `held: ${r.legal_hold_reason ?? ""}`) : "none"),
      ),
    ),
  );
}

function chunksCard(d: Details): HTMLElement {
  const chunks = d.r2_data?.chunks;
  const missing = d.r2_data?.missing_chunks ?? [];
  return h(
    "div",
    { class: "card" },
    h("h2", {}, "Chunks"),
    !chunks
      ? h("p", { class: "muted" }, `${count(d.recording.metadata.chunks_received ?? 0)} received so far; the list with digests appears when the recording is sealed.`)
      : h(
          "table",
          { class: "chunks" },
          h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", { class: "num" }, "Size"), h("th", { class: "num" }, "Events"), h("th", {}, "SHA-256"))),
          h(
            "tbody",
            {},
            ...chunks.map((c) =>
              h(
                "tr",
                { "data-chunk": c.index },
                h("td", { class: "num" }, c.index),
                h("td", { class: "num" }, bytes(c.bytes)),
                h("td", { class: "num" }, count(c.events)),
                h("td", {}, h("code", { title: c.sha256 }, c.sha256.slice(0, 16) + "…")),
              ),
            ),
          ),
        ),
    missing.length > 0 ? errorBox(`Chunks never received: ${missing.join(", ")}. The replay skips them.`) : null,
  );
}

function deleteControl(ctx: ViewContext, id: string): HTMLElement {
  const status = h("p", { class: "field-error", role: "status" });
  const confirmButton = h("button", { type: "button", class: "danger", id: "confirm-delete" }, "Delete for good");
  const dialog = h(
    "dialog",
    { class: "confirm" },
    h("h2", {}, "Delete this recording?"),
    h("p", {}, "The recording, its chunks and its summary are removed from the database and the object store. This cannot be undone."),
    status,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      confirmButton,
    ),
  );
  confirmButton.addEventListener("click", async () => {
    confirmButton.disabled = true;
    status.textContent = "";
    try {
      await api.remove(ctx.org.org_id, id);
      dialog.close();
      location.hash = `#/org/${ctx.org.org_id}?deleted=${id}`;
    } catch (e) {
      if (e instanceof ApiError && e.expired) throw e;
      status.textContent = e instanceof ApiError ? e.message : String(e);
      confirmButton.disabled = false;
    }
  });
  return h(
    "span",
    {},
    h("button", { type: "button", class: "danger", id: "delete", onclick: () => dialog.showModal() }, "Delete…"),
    dialog,
  );
}

/** Who viewed, downloaded, verified, held or changed this recording, and when (its audit entries, newest first). */
async function showHistory(card: HTMLElement, ctx: ViewContext, id: string): Promise<void> {
  let entries;
  try {
    entries = (await api.audit(ctx.org.org_id, { session_id: id, limit: 100 })).entries;
  } catch (e) {
    if (!ctx.current()) return;
    if (e instanceof ApiError && e.expired) throw e;
    replace(card, h("h2", {}, "History"), errorBox(`The history could not be loaded. ${e instanceof ApiError ? e.message : String(e)}`));
    return;
  }
  if (!ctx.current()) return;
  replace(
    card,
    h("h2", {}, "History"),
    h(
      "table",
      { class: "audit" },
      h("thead", {}, h("tr", {}, ...["Time (UTC)", "Who", "Action", "Source IP", "Outcome"].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        ...entries.map((e) =>
          h(
            "tr",
            { "data-action": e.action, "data-outcome": e.outcome },
            h("td", { class: "nowrap mono" }, utc(e.occurred_at)),
            h("td", {}, actorCell(e)),
            h("td", {}, h("code", {}, e.action)),
            h("td", { class: "mono" }, e.source_ip ?? "—"),
            h("td", {}, outcomeBadge(e.outcome)),
          ),
        ),
      ),
    ),
    h("p", {}, h("a", { href: `#/org/${ctx.org.org_id}/audit?session_id=${id}` }, "All entries of this recording in the audit trail")),
  );
}
