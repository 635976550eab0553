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

/** Which store the recording's objects are in: the one it was started in, whatever the org's mode is now. */
export function storeCell(r: Recording): HTMLElement {
  return r.storage === "custom"
    ? h("span", { class: "store store-custom", "data-storage": "custom", title: "The org's own bucket (storage mode custom)" }, "org's bucket")
    : h("span", { class: "store", "data-storage": "platform", title: "The service's bucket" }, "platform");
}
