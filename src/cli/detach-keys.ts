// docker's --detach-keys: a sequence such as "ctrl-p,ctrl-q" (the default)
// that, typed into `attach`, lets go of the container instead of reaching it.
import { SpecError } from "../errors.ts";

export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

// Each key: ctrl-<letter or one of @[\]^_> or a single character.
export function parseDetachKeys(spec: string): number[] {
  const keys = spec.split(",").map((key) => {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    const c = ctrl?.[1];
    if (c && /[a-z@[\\\]^_]/i.test(c)) return c.toUpperCase().charCodeAt(0) & 0x1f;
    if (!ctrl && key.length === 1) return key.charCodeAt(0);
    throw new SpecError("--detach-keys", `${JSON.stringify(key)} is not a key`, 'give keys such as "ctrl-p,ctrl-q": ctrl-<letter> or a single character, comma-separated');
  });
  return keys;
}

// Passes the input on, holding back what may begin the sequence: a partial
// match that breaks off is passed on whole, the full sequence detaches.
export class DetachScanner {
  private held: number[] = [];
  constructor(private readonly keys: readonly number[]) {}

  scan(input: Uint8Array): { pass: Uint8Array; detach: boolean } {
    const pass: number[] = [];
    for (const byte of input) {
      if (byte === this.keys[this.held.length]) {
        this.held.push(byte);
        if (this.held.length === this.keys.length) return { pass: Uint8Array.from(pass), detach: true };
        continue;
      }
      pass.push(...this.held);
      this.held = [];
      if (byte === this.keys[0]) this.held.push(byte);
      else pass.push(byte);
    }
    return { pass: Uint8Array.from(pass), detach: false };
  }
}
