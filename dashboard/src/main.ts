import "./style.css";
import { ApiError, api, session, type Me, type Membership } from "./api";
import type { ViewContext } from "./context";
import { errorBox, h, replace } from "./dom";
import { parseRoute, type Route } from "./route";
import { renderSignIn } from "./views/signin";
import { renderOrgPicker } from "./views/orgs";
import { renderRecordings } from "./views/recordings";
import { renderRecording } from "./views/recording";
import { renderSettings } from "./views/settings";
import { renderAudit } from "./views/audit";

const app = document.getElementById("app")!;
const nav = document.getElementById("nav")!;

let me: Me | null = null;
// Each navigation gets a number; a view that finishes loading after the user moved on draws nothing.
let generation = 0;
let disposeView: (() => void) | undefined;

async function render(): Promise<void> {
  const mine = ++generation;
  disposeView?.();
  disposeView = undefined;
  const route = parseRoute(location.hash);

  if (!session.token()) {
    me = null;
    drawNav(null);
    renderSignIn(app, null, signedIn);
    return;
  }
  try {
    me ??= await api.me();
    if (mine !== generation) return;
    await draw(route, me, mine);
  } catch (e) {
    if (mine !== generation) return;
    showError(e);
  }
}

async function draw(route: Route, who: Me, mine: number): Promise<void> {
  if (route.name === "home") {
    drawNav(null);
    renderOrgPicker(app, who);
    return;
  }
  let org = who.orgs.find((o) => o.org_id === route.orgId);
  if (!org) {
    // The memberships may have changed since sign-in; otherwise the service's own answer (403) is shown.
    me = who = await api.me();
    if (mine !== generation) return;
    org = who.orgs.find((o) => o.org_id === route.orgId);
    if (!org) {
      drawNav(null);
      await api.settings(route.orgId);
      replace(app, errorBox("This org is not one of yours."));
      return;
    }
  }
  drawNav(org, route.name);
  const ctx: ViewContext = {
    me: who,
    org,
    current: () => mine === generation,
    onLeave: (dispose) => {
      const previous = disposeView;
      disposeView = () => {
        previous?.();
        dispose();
      };
    },
  };
  replace(app, h("p", { class: "muted" }, "Loading…"));
  switch (route.name) {
    case "recordings":
      return renderRecordings(app, ctx, route.query);
    case "recording":
      return renderRecording(app, ctx, route.recordingId);
    case "settings":
      return renderSettings(app, ctx);
    case "audit":
      return renderAudit(app, ctx, route.query);
  }
}

function showError(e: unknown): void {
  if (e instanceof ApiError && e.expired) {
    session.signOut();
    me = null;
    drawNav(null);
    renderSignIn(app, e.message, signedIn);
    return;
  }
  const message = e instanceof ApiError ? e.message : `Something went wrong in the page: ${String(e)}`;
  replace(app, errorBox(message, h("p", {}, h("a", { href: "#/" }, "Back to your orgs"))));
}

function signedIn(): void {
  me = null;
  if (location.hash === "" || location.hash === "#/") void render();
  else location.hash = "#/";
}

function drawNav(org: Membership | null, active?: string): void {
  if (!session.token()) {
    replace(nav);
    return;
  }
  const link = (href: string, label: string, name: string) =>
    h("a", { href, class: active === name ? "active" : null }, label);
  replace(
    nav,
    org &&
      h(
        "span",
        { class: "org-context" },
        h("span", { class: "org-name", "data-testid": "current-org" }, org.name),
        h("span", { class: `role role-${org.role}`, "data-testid": "current-role" }, org.role),
      ),
    org && link(`#/org/${org.org_id}`, "Recordings", "recordings"),
    org && link(`#/org/${org.org_id}/settings`, "Settings", "settings"),
    org && org.role !== "member" && link(`#/org/${org.org_id}/audit`, "Audit", "audit"),
    h("a", { href: "#/" }, org ? "Switch org" : "Orgs"),
    h(
      "button",
      {
        class: "link",
        type: "button",
        onclick: () => {
          session.signOut();
          me = null;
          location.hash = "#/";
          void render();
        },
      },
      "Sign out",
    ),
  );
}

window.addEventListener("hashchange", () => void render());
// A failed click handler (paging, delete) ends as a plain message too, never a blank or frozen page.
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  showError(event.reason);
});
void render();
