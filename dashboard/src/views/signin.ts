import { session } from "../api";
import { errorBox, h, replace } from "../dom";

export function renderSignIn(root: HTMLElement, problem: string | null, signedIn: () => void): void {
  const input = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    required: true,
    spellcheck: "false",
    autocomplete: "off",
    placeholder: "eyJhbGciOiJIUzI1NiJ9…",
  });
  const form = h(
    "form",
    {
      class: "card signin",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const token = input.value.trim().replace(/^Bearer\s+/i, "");
        if (!token) return;
        session.signIn(token);
        signedIn();
      },
    },
    h("h1", {}, "Sign in"),
    problem && errorBox(problem),
    h("label", { for: "token" }, "Access token"),
    input,
    h(
      "p",
      { class: "hint" },
      "Make one with ",
      h("code", {}, "scripts/admin token --user <user-id>"),
      ". It is kept in this tab's session storage only and sent to the service as a bearer header.",
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  replace(root, form);
  input.focus();
}
