import type { Me, Membership } from "./api";

/** What a view of one org gets from the router. */
export interface ViewContext {
  me: Me;
  org: Membership;
  /** True while this view is still the one on screen. */
  current(): boolean;
  /** Registers cleanup (the player, object URLs) for when the user leaves the view. */
  onLeave(dispose: () => void): void;
}
