/** The runs page's view state, read from and written to the hash query. */
import { replaceParams } from "../router.js";
import type { ViewState } from "./runs-controls.js";

/** The view state in the hash query: `set` writes it back to the address. */
export class HashView implements ViewState {
  constructor(readonly params: URLSearchParams) {}

  get = (k: string, d = ""): string => this.params.get(k) ?? d;

  set = (k: string, v: string | null): void => {
    if (v === null || v === "") this.params.delete(k);
    else this.params.set(k, v);
    replaceParams(this.params);
  };

  has(k: string): boolean {
    return this.params.has(k);
  }

  /** A comma-separated list. */
  list(k: string): string[] {
    return this.get(k).split(",").filter(Boolean);
  }
}
