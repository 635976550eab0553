import { api, type AuditEntry, type AuditQuery } from "../api";
import { h, replace } from "../dom";
import { shortId, utc } from "../format";
import type { ViewContext } from "../context";

const PAGE = 50;
const FILTERS: { key: keyof AuditQuery; label: string; placeholder: string }[] = [
  { key: "since", label: "Since", placeholder: "2026-01-31T00:00:00Z" },
  { key: "until", label: "Until", placeholder: "2026-02-01T00:00:00Z" },
  { key: "audit_action", label: "Action", placeholder: "delete" },
  { key: "actor_id", label: "Actor id", placeholder: "user or machine UUID" },
  { key: "session_id", label: "Recording", placeholder: "session UUID" },
  { key: "source_ip", label: "Source IP", placeholder: "203.0.113.7" },
  { key: "outcome", label: "Outcome", placeholder: "ok or an error code" },
];

function readQuery(query: URLSearchParams): AuditQuery {
  const q: AuditQuery = {};
  for (const f of FILTERS) {
    const v = query.get(f.key)?.trim();
    if (v) (q as Record<string, string>)[f.key] = v;
  }
  return q;
}

/** The org's audit trail: who did what, from where, newest first, with the audit action's filters. */
export async function renderAudit(root: HTMLElement, ctx: ViewContext, query: URLSearchParams): Promise<void> {
  const filter = readQuery(query);
  const first = await api.audit(ctx.org.org_id, { ...filter, limit: PAGE });
  if (!ctx.current()) return;
  const body = h("tbody", {});
  appendRows(body, ctx, first.entries);
  const more = h("button", { type: "button", id: "audit-more" }, "Older entries");
  let cursor = first.next_cursor;
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    if (!cursor) return;
    more.disabled = true;
    const page = await api.audit(ctx.org.org_id, { ...filter, limit: PAGE, cursor });
    if (!ctx.current()) return;
    appendRows(body, ctx, page.entries);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
  });

  replace(
    root,
    h(
      "section",
      {},
      h("div", { class: "page-head" }, h("h1", {}, "Audit trail"), h("span", { class: "muted" }, `${ctx.org.name} · times in UTC`)),
      filterForm(ctx, filter),
      first.entries.length === 0
        ? h("p", { class: "muted", "data-testid": "audit-empty" }, "No entries match.")
        : h("table", { class: "audit" }, head(), body),
      h("div", { class: "pager" }, more),
    ),
  );
}

function filterForm(ctx: ViewContext, filter: AuditQuery): HTMLElement {
  const inputs = FILTERS.map((f) =>
    h("input", { type: "text", id: `audit-${f.key}`, name: f.key, placeholder: f.placeholder, value: (filter[f.key] as string) ?? "" }),
  );
  const form = h(
    "form",
    { class: "filters audit-filters" },
    ...FILTERS.flatMap((f, i) => [h("label", { for: `audit-${f.key}` }, f.label), inputs[i]]),
    h("button", { type: "submit", class: "primary" }, "Filter"),
    h("a", { href: `#/org/${ctx.org.org_id}/audit`, class: "button" }, "Clear"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    inputs.forEach((input, i) => {
      if (input.value.trim()) q.set(FILTERS[i].key, input.value.trim());
    });
    const s = q.toString();
    location.hash = `#/org/${ctx.org.org_id}/audit${s ? "?" + s : ""}`;
  });
  return form;
}

function head(): HTMLElement {
  return h(
    "thead",
    {},
    h("tr", {}, ...["Time (UTC)", "Actor", "Action", "Target", "Source IP", "Outcome"].map((t) => h("th", {}, t))),
  );
}

function appendRows(body: HTMLElement, ctx: ViewContext, entries: AuditEntry[]): void {
  for (const e of entries) body.appendChild(row(ctx, e));
}

function row(ctx: ViewContext, e: AuditEntry): HTMLElement {
  return h(
    "tr",
    { "data-id": e.id, "data-action": e.action, "data-outcome": e.outcome, title: e.request_id ? `request ${e.request_id}` : null },
    h("td", { class: "nowrap mono", "data-testid": "audit-time" }, utc(e.occurred_at)),
    h("td", {}, actorCell(e)),
    h("td", {}, h("code", {}, e.action)),
    h("td", {}, targetCell(ctx, e)),
    h("td", { class: "mono" }, e.source_ip ?? "—"),
    h("td", {}, outcomeBadge(e.outcome)),
  );
}

export function actorCell(e: AuditEntry): HTMLElement {
  const a = e.actor;
  const name = a.name ?? (a.id ? shortId(a.id) : a.type);
  return h("span", { class: `actor actor-${a.type}`, title: a.id ?? a.type }, a.type === "user" ? name : `${name} (${a.type})`);
}

function targetCell(ctx: ViewContext, e: AuditEntry): Node | string {
  if (e.target.type === "recording" && e.target.id) {
    return h("a", { href: `#/org/${ctx.org.org_id}/recordings/${e.target.id}`, class: "mono" }, `recording ${shortId(e.target.id)}`);
  }
  if (!e.target.type) return "—";
  return e.target.id ? `${e.target.type} ${shortId(e.target.id)}` : e.target.type;
}

export function outcomeBadge(outcome: string): HTMLElement {
  return h("span", { class: `badge ${outcome === "ok" ? "status-completed" : "outcome-refused"}`, "data-outcome": outcome }, outcome);
}
