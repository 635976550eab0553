import type { Recording } from "../api";
import { h } from "../dom";
import { shortId } from "../format";

export function statusBadge(status: string): HTMLElement {
  const known = status === "active" || status === "completed" ? status : "other";
  return h("span", { class: `badge status-${known}`, "data-status": status }, status);
}

export function machineCell(r: Recording): HTMLElement {
  if (r.machine_id) return h("span", { class: "machine" }, r.machine_name ?? shortId(r.machine_id));
  const was = typeof r.metadata.machine_name === "string" ? r.metadata.machine_name : null;
  return h("span", { class: "machine deleted", title: was ? `was ${was}` : "the machine was deleted" }, "deleted machine");
}

export function userCell(userId: string, me: string): HTMLElement {
  return h("span", { class: "mono", title: userId }, userId === me ? "you" : shortId(userId));
}
