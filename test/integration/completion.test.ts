// `contain completion bash|zsh|fish`: scripts each shell accepts, that
// complete commands, flags and a running container's name and ID.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { ensurePackages } from "../setup.ts";
import { BIN, Harness } from "./harness.ts";

ensurePackages(["zsh", "fish"]);
const h = new Harness();
// `contain` on the PATH, as a user has it: the scripts complete that name.
const dir = mkdtempSync("/tmp/contain-test-completion-");
symlinkSync(BIN, `${dir}/contain`);
const env = { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: dir };
let id = "";

const sh = (argv: string[]) => {
  const r = Bun.spawnSync(argv, { env, cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

beforeAll(() => {
  id = h.run(["run", "-d", "-q", "--name", "compl-web", "--", "sleep", "60"]).stdout.trim();
  for (const shell of ["bash", "zsh", "fish"]) writeFileSync(`${dir}/script.${shell}`, sh(["contain", "completion", shell]).stdout);
});

afterAll(() => {
  h.run(["rm", "-f", "compl-web"]);
  rmSync(dir, { recursive: true, force: true });
  h.finish();
});

// What bash completes for `words`, the last one being completed: an
// interactive bash with the script sourced, the completion function driven
// through COMP_WORDS and COMP_CWORD as bash's own completion drives it.
function bashCompletes(...words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(" ");
  const script = `source ${dir}/script.bash; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; $(complete -p contain | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p'); printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = sh(["bash", "--norc", "--noprofile", "-i", "-c", script]);
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

test("bash -n, zsh -n and fish -n accept the scripts", () => {
  expect(sh(["bash", "-n", `${dir}/script.bash`])).toMatchObject({ code: 0, stderr: "" });
  expect(sh(["zsh", "-n", `${dir}/script.zsh`])).toMatchObject({ code: 0, stderr: "" });
  expect(sh(["fish", "-n", `${dir}/script.fish`])).toMatchObject({ code: 0, stderr: "" });
  // Sourced, each registers its completion for contain.
  expect(sh(["bash", "-c", `source ${dir}/script.bash && complete -p contain`]).stdout).toBe("complete -F _contain contain\n");
  expect(sh(["zsh", "-c", `autoload -U compinit && compinit -u && source ${dir}/script.zsh && complete -p contain`])).toMatchObject({ code: 0, stderr: "" });
});

test("bash completes commands, flags as written, subcommands and shells", () => {
  expect(bashCompletes("contain", "lo")).toEqual(["logs", "login", "logout"]);
  expect(bashCompletes("contain", "run", "--memory-r")).toEqual(["--memory-reservation"]);
  expect(bashCompletes("contain", "run", "--mem")).toEqual(["--memory", "--memory-swap", "--memory-reservation"]);
  expect(bashCompletes("contain", "run", "--no-o")).toEqual(["--no-overlay"]);
  expect(bashCompletes("contain", "node", "cr")).toEqual(["create"]);
  expect(bashCompletes("contain", "completion", "")).toEqual(["bash", "zsh", "fish"]);
  // The container's command is its own: run's flags are not offered there.
  expect(bashCompletes("contain", "run", "--", "ls", "--mem")).toEqual([]);
});

test("bash completes a running container's name and short ID (as ps shows it), from the line's --root", () => {
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const roots = ["--root", h.root];
  expect(bashCompletes("contain", "logs", ...roots, "compl-")).toEqual(["compl-web"]);
  expect(bashCompletes("contain", ...roots, "stop", id.slice(0, 6))).toEqual([id.slice(0, 12)]);
  expect(bashCompletes("contain", "exec", ...roots, "compl")).toEqual(["compl-web"]);
  // After exec's container comes the command: files, not containers.
  expect(bashCompletes("contain", "exec", ...roots, "compl-web", "compl")).toEqual([]);
});

test("fish completes commands, flags and a running container's name", () => {
  const complete = (line: string) => sh(["fish", "--no-config", "-c", `source ${dir}/script.fish; complete -C ${JSON.stringify(line)}`]).stdout.split("\n").filter(Boolean);
  expect(complete("contain lo")).toEqual(["login\tLog in to a registry", "logout\tLog out from a registry", "logs\tPrint the output of a detached container"]);
  expect(complete("contain run --no-o")).toEqual(["--no-overlay\tWrite straight into the rootfs instead of a copy-on-write layer of the container's own"]);
  expect(complete(`contain logs --root ${h.root} compl-`)).toEqual(["compl-web"]);
});

test("completion: one line naming the shells for a bad one, exit 125", () => {
  expect(sh(["contain", "completion", "tcsh"])).toEqual({ code: 125, stdout: "", stderr: `[contain] error: shell: "tcsh" is not bash, zsh or fish; e.g. source <(contain completion bash)\n` });
  expect(sh(["contain", "completion"]).code).toBe(125);
});
