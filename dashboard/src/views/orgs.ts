import type { Me } from "../api";
import { h, replace } from "../dom";
import { shortId } from "../format";

export function renderOrgPicker(root: HTMLElement, me: Me): void {
  if (me.orgs.length === 0) {
    replace(
      root,
      h(
        "section",
        { class: "card" },
        h("h1", {}, "No orgs"),
        h("p", {}, `This token's user (${me.user_id}) is not a member of any org. An operator adds members with `, h("code", {}, "scripts/admin add-user"), "."),
      ),
    );
    return;
  }
  replace(
    root,
    h(
      "section",
      {},
      h("h1", {}, "Choose an org"),
      h("p", { class: "muted" }, "Signed in as user ", h("code", {}, me.user_id)),
      h(
        "ul",
        { class: "org-list" },
        ...me.orgs.map((org) =>
          h(
            "li",
            {},
            h(
              "a",
              { class: "org-choice card", href: `#/org/${org.org_id}`, "data-org": org.org_id },
              h("span", { class: "org-title" }, org.name),
              h("span", { class: `role role-${org.role}` }, org.role),
              h("span", { class: "muted mono", title: org.org_id }, shortId(org.org_id)),
            ),
          ),
        ),
      ),
    ),
  );
}
