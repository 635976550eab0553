import { ApiError, api, type Settings } from "../api";
import { h, replace } from "../dom";
import type { ViewContext } from "../context";

const MIN_DAYS = 1;
const MAX_DAYS = 365;

export async function renderSettings(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const settings = await api.settings(ctx.org.org_id);
  if (!ctx.current()) return;
  replace(
    root,
    h(
      "section",
      {},
      h("div", { class: "page-head" }, h("h1", {}, "Recording settings"), h("span", { class: "muted" }, ctx.org.name)),
      ctx.org.role === "admin" ? editor(ctx, settings, null) : readOnly(settings, ctx.org.role),
    ),
  );
}

function readOnly(s: Settings, role: string): HTMLElement {
  const row = (label: string, value: string, testid: string) => h("tr", {}, h("th", {}, label), h("td", { "data-testid": testid }, value));
  return h(
    "div",
    { class: "card settings-readonly" },
    h(
      "table",
      { class: "kv" },
      h(
        "tbody",
        {},
        row("Recording", s.recording_enabled ? "enabled" : "disabled", "recording-enabled"),
        row("Retention", `${s.retention_days} days`, "retention-days"),
        row("Storage", s.storage_mode, "storage-mode"),
      ),
    ),
    h("p", { class: "hint" }, `Only admins change these settings; you are ${role === "auditor" ? "an auditor" : "a member"} here.`),
  );
}

function clamp(days: number): number {
  return Math.min(MAX_DAYS, Math.max(MIN_DAYS, Math.trunc(days)));
}

function editor(ctx: ViewContext, s: Settings, notice: string | null): HTMLElement {
  const enabled = h("input", { id: "recording-enabled", type: "checkbox", checked: s.recording_enabled });
  const retention = h("input", { id: "retention-days", type: "number", step: 1, value: s.retention_days, required: true });
  const clampNote = h("span", { class: "hint", id: "retention-clamp" });
  const storage = h(
    "select",
    { id: "storage-mode" },
    h("option", { value: "platform", selected: s.storage_mode === "platform" }, "platform — the service's bucket"),
    h("option", { value: "custom", selected: s.storage_mode === "custom" }, "custom — the org's own bucket"),
  );
  const status = h("p", { class: "field-error", role: "status" });
  const save = h("button", { type: "submit", class: "primary", id: "save-settings" }, "Save");

  const updateClampNote = () => {
    const value = Number(retention.value);
    if (retention.value === "" || !Number.isFinite(value)) {
      clampNote.textContent = `Between ${MIN_DAYS} and ${MAX_DAYS} days.`;
    } else if (clamp(value) !== value) {
      clampNote.textContent = `Kept between ${MIN_DAYS} and ${MAX_DAYS} days: ${value} will be stored as ${clamp(value)}.`;
      clampNote.className = "hint warn";
      return;
    } else {
      clampNote.textContent = `Between ${MIN_DAYS} and ${MAX_DAYS} days; older recordings are deleted by the retention sweep.`;
    }
    clampNote.className = "hint";
  };
  retention.addEventListener("input", updateClampNote);
  updateClampNote();

  const form = h(
    "form",
    {
      class: "card settings",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const days = Number(retention.value);
        if (retention.value === "" || !Number.isInteger(days)) {
          status.textContent = "Retention must be a whole number of days.";
          return;
        }
        save.disabled = true;
        status.textContent = "";
        try {
          await api.updateSettings(ctx.org.org_id, {
            recording_enabled: enabled.checked,
            retention_days: days,
            storage_mode: storage.value as Settings["storage_mode"],
          });
          const stored = await api.settings(ctx.org.org_id);
          if (!ctx.current()) return;
          const clamped = stored.retention_days !== days ? ` Retention ${days} was clamped to ${stored.retention_days} days.` : "";
          replace(form.parentElement!, h("div", { class: "page-head" }, h("h1", {}, "Recording settings"), h("span", { class: "muted" }, ctx.org.name)), editor(ctx, stored, `Saved.${clamped}`));
        } catch (err) {
          if (err instanceof ApiError && err.expired) throw err;
          status.textContent = err instanceof ApiError ? err.message : String(err);
          save.disabled = false;
        }
      },
    },
    notice && h("div", { class: "alert alert-ok", role: "status", "data-testid": "settings-notice" }, notice),
    h("div", { class: "field" }, h("label", { class: "check" }, enabled, " Record sessions in this org"), h("span", { class: "hint" }, "When off, starting a recording or agent upload is refused.")),
    h("div", { class: "field" }, h("label", { for: "retention-days" }, "Retention (days)"), retention, clampNote),
    h("div", { class: "field" }, h("label", { for: "storage-mode" }, "Storage"), storage),
    status,
    h("div", { class: "actions" }, save),
  );
  return form;
}
