// A real terminal for `podman run -it` and `ctr run -t`: a tmux server of
// the test's own (its socket and config in the sandbox directory), one
// window of a known size running one shell command line.
import { readFileSync, writeFileSync } from "node:fs";
import { waitFor } from "./sandbox.ts";

export class Terminal {
  private readonly socket: string;
  private readonly status: string;
  private readonly config: string;

  // Runs `command` (a shell command line) in a cols x rows window; its exit
  // status is kept for exitStatus().
  constructor(dir: string, command: string, cols: number, rows: number) {
    this.socket = `${dir}/tmux.sock`;
    this.status = `${dir}/tmux.status`;
    this.config = `${dir}/tmux.conf`;
    // The window stays when the command ends, so a failure shows its screen.
    writeFileSync(this.config, "set -g remain-on-exit on\n");
    const r = this.tmux("new-session", "-d", "-s", "main", "-x", String(cols), "-y", String(rows), `${command}; echo $? > ${this.status}`);
    if (r.exitCode !== 0) throw new Error(`tmux new-session failed: ${r.stderr.toString().trim()}`);
  }

  private tmux(...args: string[]) {
    return Bun.spawnSync(["tmux", "-f", this.config, "-S", this.socket, ...args], { stdout: "pipe", stderr: "pipe" });
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", "main").stdout.toString();
  }

  send(...keys: string[]): void {
    this.tmux("send-keys", "-t", "main", ...keys);
  }

  // The screen once it matches `pattern`; fails early when the command ended.
  async waitFor(what: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const match = () => {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (this.ended() !== undefined) throw new Error(`the command ended (${this.ended()}) before ${what}`);
      return undefined;
    };
    return waitFor(what, match, timeoutMs).catch((e) => {
      throw new Error(`${(e as Error).message}; the screen:\n${this.screen().trimEnd().replace(/\n{3,}/g, "\n\n")}`);
    });
  }

  private ended(): string | undefined {
    try {
      return readFileSync(this.status, "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  // The exit status of the command, once it has ended.
  async exitStatus(timeoutMs = 10_000): Promise<number> {
    return Number(await waitFor("the command to end", () => this.ended(), timeoutMs));
  }

  close(): void {
    this.tmux("kill-server");
  }
}
