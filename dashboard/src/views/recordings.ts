import { api, type Page, type Recording, type StatusStats } from "../api";
import { h, replace } from "../dom";
import { bytes, count, duration, shortId, when } from "../format";
import { recordingsHref } from "../route";
import type { ViewContext } from "../context";
import { machineCell, statusBadge, storeCell, userCell } from "./common";

const PAGE_SIZES = [10, 20, 50, 100];
const KNOWN_STATUSES = ["active", "completed"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Filter {
  status: string;
  machineId: string;
  machineLabel: string;
  page: number;
  size: number;
  /** The cursor that led to this page, when it was reached with Next; else the page is read by offset. */
  after: string;
}

function readFilter(query: URLSearchParams): Filter {
  const size = Number(query.get("size"));
  const page = Number(query.get("page"));
  return {
    status: KNOWN_STATUSES.includes(query.get("status") ?? "") ? query.get("status")! : "",
    machineId: UUID.test(query.get("machine") ?? "") ? query.get("machine")! : "",
    machineLabel: query.get("machine_name") ?? "",
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    size: PAGE_SIZES.includes(size) ? size : 20,
    after: /^[A-Za-z0-9_-]{1,64}$/.test(query.get("after") ?? "") ? query.get("after")! : "",
  };
}

function href(orgId: string, f: Filter): string {
  const q = new URLSearchParams();
  if (f.status) q.set("status", f.status);
  if (f.machineId) {
    q.set("machine", f.machineId);
    if (f.machineLabel) q.set("machine_name", f.machineLabel);
  }
  if (f.page > 1) q.set("page", String(f.page));
  if (f.size !== 20) q.set("size", String(f.size));
  if (f.after && f.page > 1) q.set("after", f.after);
  return recordingsHref(orgId, q);
}

export async function renderRecordings(root: HTMLElement, ctx: ViewContext, query: URLSearchParams): Promise<void> {
  if (ctx.org.role === "member") {
    renderMemberHome(root, ctx);
    return;
  }
  const f = readFilter(query);
  const page = await api.list(ctx.org.org_id, {
    limit: f.size,
    ...(f.after ? { cursor: f.after } : { offset: (f.page - 1) * f.size }),
    ...(f.status ? { status: f.status } : {}),
    ...(f.machineId ? { machine_id: f.machineId } : {}),
  });
  if (!ctx.current()) return;
  replace(
    root,
    h(
      "section",
      {},
      h("div", { class: "page-head" }, h("h1", {}, "Recordings"), h("span", { class: "muted" }, ctx.org.name)),
      query.get("deleted") ? h("div", { class: "alert alert-ok", role: "status" }, `Recording ${query.get("deleted")} was deleted.`) : null,
      statsCards(page.stats, f),
      filterBar(ctx, f),
      table(ctx, page, f),
      pager(ctx, page, f),
    ),
  );
}

function statsCards(stats: StatusStats[], f: Filter): HTMLElement {
  const byStatus = new Map(stats.map((s) => [s.status, s]));
  const statuses = [...new Set([...KNOWN_STATUSES, ...stats.map((s) => s.status)])];
  const total = stats.reduce((acc, s) => ({ count: acc.count + s.count, duration: acc.duration + s.total_duration }), { count: 0, duration: 0 });
  const card = (key: string, label: string, n: number, seconds: number) =>
    h(
      "div",
      { class: `stat stat-${key}`, "data-status": key },
      h("span", { class: "stat-label" }, label),
      h("span", { class: "stat-count", "data-testid": `stat-count-${key}` }, count(n)),
      h("span", { class: "stat-duration", "data-testid": `stat-duration-${key}`, "data-seconds": String(seconds) }, `${duration(seconds)} recorded`),
    );
  return h(
    "div",
    { class: "stats", "aria-label": f.machineId || f.status ? "Statistics for the current filter" : "Statistics" },
    card("all", f.machineId || f.status ? "Matching" : "All recordings", total.count, total.duration),
    ...statuses.map((s) => card(s, s[0].toUpperCase() + s.slice(1), byStatus.get(s)?.count ?? 0, byStatus.get(s)?.total_duration ?? 0)),
  );
}

function filterBar(ctx: ViewContext, f: Filter): HTMLElement {
  const orgId = ctx.org.org_id;
  const status = h(
    "select",
    { id: "filter-status", onchange: (e: Event) => (location.hash = href(orgId, { ...f, status: (e.target as HTMLSelectElement).value, page: 1 })) },
    h("option", { value: "" }, "Any status"),
    ...KNOWN_STATUSES.map((s) => h("option", { value: s, selected: f.status === s }, s)),
  );
  const size = h(
    "select",
    { id: "page-size", onchange: (e: Event) => (location.hash = href(orgId, { ...f, size: Number((e.target as HTMLSelectElement).value), page: 1 })) },
    ...PAGE_SIZES.map((n) => h("option", { value: n, selected: f.size === n }, `${n} per page`)),
  );
  const machineInput = h("input", { id: "filter-machine", type: "text", placeholder: "machine ID", size: 38, spellcheck: "false" });
  const problem = h("span", { class: "field-error", role: "status" });
  const machine = f.machineId
    ? h(
        "span",
        { class: "chip", "data-testid": "machine-filter" },
        "Machine: ",
        h("strong", {}, f.machineLabel || shortId(f.machineId)),
        h("a", { href: href(orgId, { ...f, machineId: "", machineLabel: "", page: 1 }), "aria-label": "Clear machine filter", class: "chip-clear" }, "×"),
      )
    : h(
        "form",
        {
          class: "inline",
          onsubmit: (e: Event) => {
            e.preventDefault();
            const id = machineInput.value.trim();
            if (!UUID.test(id)) {
              problem.textContent = "A machine ID is a UUID.";
              return;
            }
            location.hash = href(orgId, { ...f, machineId: id, machineLabel: "", page: 1 });
          },
        },
        machineInput,
        h("button", { type: "submit" }, "Filter"),
        problem,
      );
  return h(
    "div",
    { class: "filters" },
    h("label", { for: "filter-status" }, "Status"),
    status,
    h("span", { class: "sep" }),
    machine,
    f.machineId ? null : h("span", { class: "hint" }, "or click a machine in the table"),
    h("span", { class: "spacer" }),
    size,
  );
}

function table(ctx: ViewContext, page: Page, f: Filter): HTMLElement {
  if (page.recordings.length === 0) {
    return h("div", { class: "empty card" }, f.page > 1 ? "No recordings on this page." : "No recordings match.");
  }
  const orgId = ctx.org.org_id;
  const row = (r: Recording) =>
    h(
      "tr",
      { "data-id": r.id },
      h("td", {}, statusBadge(r.status)),
      h(
        "td",
        {},
        r.machine_id
          ? h("a", { href: href(orgId, { ...f, machineId: r.machine_id, machineLabel: r.machine_name ?? "", page: 1 }), class: "machine-link", title: `Show only ${r.machine_name ?? r.machine_id}` }, machineCell(r))
          : machineCell(r),
      ),
      h("td", {}, userCell(r.user_id, ctx.me.user_id)),
      h("td", {}, h("span", { class: "type" }, r.session_type)),
      h("td", { class: "nowrap" }, h("a", { href: `#/org/${orgId}/recordings/${r.id}`, class: "open" }, when(r.started_at))),
      h("td", { class: "num" }, duration(r.duration_seconds)),
      h("td", { class: "num" }, bytes(r.metadata.bytes_received)),
      h("td", {}, storeCell(r)),
    );
  return h(
    "table",
    { class: "recordings" },
    h(
      "thead",
      {},
      h("tr", {}, ...["Status", "Machine", "User", "Type", "Started", "Duration", "Size", "Store"].map((c, i) => h("th", { class: i === 5 || i === 6 ? "num" : null }, c))),
    ),
    h("tbody", {}, ...page.recordings.map(row)),
  );
}

function pager(ctx: ViewContext, page: Page, f: Filter): HTMLElement {
  const total = page.stats.reduce((n, s) => n + s.count, 0);
  const pages = Math.max(1, Math.ceil(total / f.size));
  const first = total === 0 ? 0 : (f.page - 1) * f.size + 1;
  const last = Math.min(total, (f.page - 1) * f.size + page.recordings.length);
  // Next follows the page's cursor, so walking forward stays cheap at any depth; Previous goes by offset.
  const go = (p: number, label: string, enabled: boolean, after: string) =>
    enabled ? h("a", { class: "button", href: href(ctx.org.org_id, { ...f, page: p, after }), rel: label === "Next" ? "next" : "prev" }, label) : h("span", { class: "button disabled" }, label);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    go(f.page - 1, "Previous", f.page > 1, ""),
    h("span", { class: "muted", "data-testid": "page-info" }, `${count(first)}–${count(last)} of ${count(total)} · page ${count(f.page)} of ${count(pages)}`),
    go(f.page + 1, "Next", page.cursor !== null, page.cursor ?? ""),
  );
}

function renderMemberHome(root: HTMLElement, ctx: ViewContext): void {
  const input = h("input", { id: "open-id", type: "text", placeholder: "recording ID", size: 38, spellcheck: "false" });
  replace(
    root,
    h(
      "section",
      { class: "card" },
      h("h1", {}, "Your recordings"),
      h(
        "p",
        {},
        "Members can replay the recordings of their own sessions. Listing every recording of ",
        h("strong", {}, ctx.org.name),
        " is for admins and auditors.",
      ),
      h(
        "form",
        {
          class: "inline",
          onsubmit: (e: Event) => {
            e.preventDefault();
            const id = input.value.trim();
            if (id) location.hash = `#/org/${ctx.org.org_id}/recordings/${encodeURIComponent(id)}`;
          },
        },
        h("label", { for: "open-id" }, "Open a recording"),
        input,
        h("button", { type: "submit", class: "primary" }, "Open"),
      ),
    ),
  );
}
