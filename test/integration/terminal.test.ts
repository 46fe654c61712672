// An interactive shell on a real terminal (tmux): the container gets its own
// pty, line editing works, Ctrl-C reaches the foreground job, exit returns.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BIN, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const session = `contain-test-${process.pid}`;
const tmux = (...args: string[]) => Bun.spawnSync(["tmux", ...args]).stdout.toString();
const screen = () => tmux("capture-pane", "-p", "-t", session);

afterAll(() => {
  tmux("kill-session", "-t", session);
  rmSync(`/tmp/${session}.status`, { force: true });
  h.finish();
});

test("the caller's terminal hangs up: the container's shell goes with it", async () => {
  const hup = `${session}-hup`;
  tmux("new-session", "-d", "-s", hup, "-x", "80", "-y", "24", `${BIN} run -q ${h.rootFlags.join(" ")} -- /bin/sh`);
  await waitFor("the prompt", () => tmux("capture-pane", "-p", "-t", hup).includes("/ #"));
  const id = h.ids()[0] ?? "";
  tmux("kill-session", "-t", hup); // SIGHUP to contain, as a closed terminal window does
  await waitFor("the container to end", () => h.ids().length === 0 && !h.ids().includes(id));
}, 20_000);

test("an interactive shell: tty, line editing, Ctrl-C, exit status", async () => {
  const done = `/tmp/${session}.status`;
  tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", `${BIN} run -q ${h.rootFlags.join(" ")} -- /bin/sh; echo $? > ${done}`);
  const send = (...keys: string[]) => tmux("send-keys", "-t", session, ...keys);
  await waitFor("the prompt", () => screen().includes("/ #"));
  send("tty; stty size", "Enter");
  await waitFor("tty", () => /\/dev\/pts\/\d+\n30 100/.test(screen()));
  send("sleep 100", "Enter");
  await Bun.sleep(200);
  send("C-c");
  send("echo after-interrupt", "Enter");
  await waitFor("Ctrl-C to stop sleep", () => screen().includes("\nafter-interrupt"));
  // line editing: type the end, jump to the start, type the beginning
  send("world");
  send("C-a");
  send("echo hello-", "Enter");
  await waitFor("line editing", () => screen().includes("\nhello-world"));
  send("exit 3", "Enter");
  const status = await waitFor("the run to end", () => {
    const f = Bun.file(done);
    return f.size > 0 && f;
  });
  expect((await status.text()).trim()).toBe("3");
}, 20_000);

// The README's `contain run ... &`: in the background of an interactive
// shell, contain neither reads the terminal nor changes its modes, so the
// shell does not stop it ([1]+ Stopped), and what is typed goes to the shell.
test("in the background of its terminal: not stopped, the shell keeps its input, the command reads /dev/null", async () => {
  const bg = `${session}-bg`;
  tmux("new-session", "-d", "-s", bg, "-x", "120", "-y", "30", "env PS1='prompt$ ' bash --norc --noprofile -i");
  const view = () => tmux("capture-pane", "-p", "-t", bg);
  const send = (...keys: string[]) => tmux("send-keys", "-t", bg, ...keys);
  try {
    await waitFor("bash's prompt", () => view().includes("prompt$"));
    send(`${BIN} run -q ${h.rootFlags.join(" ")} -- sh -c 'read line; echo "read:[$line] $?"; sleep 1; echo bg-done' &`, "Enter");
    send("echo typed-$((6*7))", "Enter");
    await waitFor("the shell to run what was typed", () => view().includes("\ntyped-42"));
    await waitFor("the container to end", () => view().includes("\nbg-done"));
    send("jobs; wait %1; echo waited:$?", "Enter");
    await waitFor("contain to exit", () => view().includes("\nwaited:"));
    const screen = view();
    expect(screen).toContain("read:[] 1"); // /dev/null: EOF at once
    expect(screen).not.toContain("Stopped");
    expect(screen).toContain("\nwaited:0\n");
  } finally {
    tmux("kill-session", "-t", bg);
  }
}, 20_000);
