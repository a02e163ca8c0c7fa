/**
 * Manual test sign-off against a checklist kept in the repository. A designated reviewer signs off
 * with `delivery promote sign-off` using their own token, which posts the `manual-test (<env>)`
 * commit status on the deployed commit: GitHub records who (the status's creator) and which SHA
 * (the status's commit); the description names the checklist and its exact version (the git blob
 * SHA of the file), and the status links to the checklist at that commit. The machine accepts a
 * sign-off only when it names the checklist (`parseSignOff`).
 */
import * as crypto from "node:crypto";

/** The checklist reviewers sign off against, relative to the repository root. */
export const SIGNOFF_CHECKLIST = "docs/signoff-checklist.md";

/** The git blob SHA of a file's content (`git hash-object`), so a sign-off names the exact checklist. */
export function gitBlobSha(content: Buffer | string): string {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  return crypto.createHash("sha1").update(`blob ${body.length}\0`).update(body).digest("hex");
}

/** The checklist's items: Markdown task-list lines (`- [ ] ...`). */
export function checklistItems(markdown: string): string[] {
  return [...markdown.matchAll(/^\s*[-*] \[[ xX]\] (.+)$/gm)].map((m) => m[1].trim());
}

export interface SignOff {
  readonly checklist: string;
  /** The checklist's git blob SHA, abbreviated to 12. */
  readonly version: string;
  readonly items: number;
}

/** `signed off against docs/signoff-checklist.md@1a2b3c4d5e6f (9 items)` or `rejected against ...: what failed`. */
export function signOffDescription(s: SignOff, rejection: string | null): string {
  const what = `${s.checklist}@${s.version} (${s.items} items)`;
  return rejection === null ? `signed off against ${what}` : `rejected against ${what}: ${rejection.replace(/\s+/g, " ").trim()}`;
}

const DESCRIPTION = /^(?:signed off|rejected) against ([A-Za-z0-9._/-]+)@([0-9a-f]{7,40}) \((\d+) items\)/;

/** The checklist a sign-off status names, or null when it names none. */
export function parseSignOff(description: string): SignOff | null {
  const m = DESCRIPTION.exec(description);
  return m ? { checklist: m[1], version: m[2], items: Number(m[3]) } : null;
}
