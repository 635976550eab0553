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
        row("Storage", storeText(s), "storage-mode"),
      ),
    ),
    h("p", { class: "hint" }, `Only admins change these settings; you are ${role === "auditor" ? "an auditor" : "a member"} here.`),
  );
}

/** The store in plain words: which bucket new recordings go to. */
function storeText(s: Settings): string {
  const c = s.custom_storage;
  if (s.storage_mode === "custom" && c) return `custom — bucket ${c.bucket}${c.prefix ? ` under ${c.prefix}` : ""} at ${c.endpoint}`;
  return "platform — the service's bucket";
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
  const c = s.custom_storage ?? null;
  const text = (id: string, value: string, extra: Record<string, string | number | boolean> = {}) =>
    h("input", { id, type: "text", value, autocomplete: "off", ...extra });
  const endpoint = text("store-endpoint", c?.endpoint ?? "", { placeholder: "https://s3.eu-central-1.amazonaws.com", maxlength: 512 });
  const region = text("store-region", c?.region ?? "us-east-1", { maxlength: 64 });
  const bucket = text("store-bucket", c?.bucket ?? "", { maxlength: 63 });
  const prefix = text("store-prefix", c?.prefix ?? "", { placeholder: "optional, e.g. castvault/", maxlength: 256 });
  const pathStyle = h("input", { id: "store-path-style", type: "checkbox", checked: c ? c.path_style : true });
  const accessKey = text("store-access-key", "", { placeholder: c ? `saved: ${c.access_key}` : "", maxlength: 256 });
  // write-only: the saved secret is never sent to the browser, so the field starts empty
  const secretKey = h("input", { id: "store-secret-key", type: "password", value: "", autocomplete: "new-password", maxlength: 256,
    placeholder: c ? "saved — type a new one to rotate" : "" });
  const storeFields = h(
    "fieldset",
    { class: "store-fields", "data-testid": "custom-store" },
    h("legend", {}, "The org's own bucket"),
    h("p", { class: "hint" }, c ? `New recordings go to ${c.bucket} while the mode is custom. Recordings stay in the store they were started in.`
      : "Before saving, the service writes, reads back and deletes a small test object there."),
    h("div", { class: "field" }, h("label", { for: "store-endpoint" }, "Endpoint"), endpoint),
    h("div", { class: "field" }, h("label", { for: "store-region" }, "Region"), region),
    h("div", { class: "field" }, h("label", { for: "store-bucket" }, "Bucket"), bucket),
    h("div", { class: "field" }, h("label", { for: "store-prefix" }, "Prefix"), prefix),
    h("div", { class: "field" }, h("label", { class: "check" }, pathStyle, " Path-style addressing")),
    h("div", { class: "field" }, h("label", { for: "store-access-key" }, "Access key"), accessKey),
    h("div", { class: "field" }, h("label", { for: "store-secret-key" }, "Secret key"), secretKey),
  );
  const showStore = () => { storeFields.hidden = storage.value !== "custom"; };
  storage.addEventListener("change", showStore);
  showStore();
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
          const mode = storage.value as Settings["storage_mode"];
          // a saved store is reused as it is unless new keys are typed (a rotation, probed again)
          const sendStore = mode === "custom" && (c === null || accessKey.value !== "" || secretKey.value !== "");
          await api.updateSettings(ctx.org.org_id, {
            recording_enabled: enabled.checked,
            retention_days: days,
            storage_mode: mode,
            ...(sendStore ? { custom_storage: {
              endpoint: endpoint.value.trim(), region: region.value.trim(), bucket: bucket.value.trim(),
              prefix: prefix.value.trim() || undefined, path_style: pathStyle.checked,
              access_key: accessKey.value, secret_key: secretKey.value,
            } } : {}),
          });
          const stored = await api.settings(ctx.org.org_id);
          if (!ctx.current()) return;
          const clamped = stored.retention_days !== days ? ` Retention ${days} was clamped to ${stored.retention_days} days.` : "";
          const probed = sendStore ? " The bucket passed the test write, read and delete." : "";
          replace(form.parentElement!, h("div", { class: "page-head" }, h("h1", {}, "Recording settings"), h("span", { class: "muted" }, ctx.org.name)), editor(ctx, stored, `Saved.${clamped}${probed}`));
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
    storeFields,
    status,
    h("div", { class: "actions" }, save),
  );
  return form;
}
