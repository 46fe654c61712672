// `contain completion bash|zsh|fish`: a script that completes the commands,
// their flags (from the same definitions the help renders) and the names and
// IDs of the containers, which it asks `contain ps` for at each completion.
import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { SpecError } from "../errors.ts";
import { parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { flagDescription, flagNames } from "./help.ts";
import { print } from "./output.ts";

export const completionFlags = {} satisfies FlagDefs;

// The commands whose arguments are containers (exec: its first one). create's
// ID is a new one, and node rm's names are containers' too.
const TAKES_CONTAINERS = new Set(["exec", "attach", "logs", "stats", "inspect", "port", "kill", "stop", "pause", "unpause", "resume", "rm", "wait", "start", "state", "delete", "update", "events", "ps", "node rm"]);
// Where the container's own command begins: after this many arguments, and
// for run and exec (whose flags end at their first argument) wherever the
// flags end; node create's payload comes after --.
const COMMAND_AFTER: Record<string, number> = { run: 0, exec: 1, "node create": 1 };
const FLAGS_END_AT_ARGUMENT = new Set(["run", "exec"]);
const SHELLS = ["bash", "zsh", "fish"] as const;

interface Flag {
  names: string[]; // as written: -m, --memory; --no-overlay
  value: boolean;
  description: string;
}

interface Completed {
  path: string; // "run", "node create"
  description: string;
  flags: Flag[];
  subcommands: string[];
}

function flagsOf(args: ArgsDef): Flag[] {
  return Object.entries(args)
    .filter(([, d]) => d.type !== "positional")
    .map(([name, d]) => ({ names: flagNames(name, d), value: d.type === "string", description: flagDescription(d) }));
}

// Every command and subcommand, from the command table.
async function commandsOf(main: CommandDef): Promise<Completed[]> {
  const out: Completed[] = [];
  const walk = async (cmd: CommandDef, path: string[]) => {
    const subs = (await cmd.subCommands) as Record<string, CommandDef | (() => Promise<CommandDef>)> | undefined;
    const meta = await cmd.meta;
    out.push({ path: path.join(" "), description: (meta as { description?: string } | undefined)?.description ?? "", flags: flagsOf(((await cmd.args) ?? {}) as ArgsDef), subcommands: Object.keys(subs ?? {}) });
    for (const [name, sub] of Object.entries(subs ?? {})) await walk(typeof sub === "function" ? await sub() : sub, [...path, name]);
  };
  await walk(main, []);
  return out;
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const positionalKind = (path: string) => (path === "completion" ? "shells" : TAKES_CONTAINERS.has(path) ? "containers" : "none");

// The one use of ps: names and IDs, one a line. The contain that completes
// is the one on the line, with the line's --root.
const PS_BASH = `"$bin" "\${roots[@]}" ps -a --format '{{.ID}}\\n{{.Names}}' 2>/dev/null`;

function bash(commands: Completed[]): string {
  const top = commands.find((c) => c.path === "") as Completed;
  const cases = commands
    .filter((c) => c.path !== "")
    .map((c) => {
      const flags = c.flags.flatMap((f) => f.names).join(" ");
      const valued = c.flags.filter((f) => f.value).flatMap((f) => f.names).join("|");
      return `    ${q(c.path)}) flags=${q(flags)}; valued=${q(valued ? `|${valued}|` : "")}; subs=${q(c.subcommands.join(" "))}; kind=${positionalKind(c.path)}; after=${COMMAND_AFTER[c.path] ?? -1}; stops=${FLAGS_END_AT_ARGUMENT.has(c.path) ? 1 : 0} ;;`;
    });
  return `# contain's completion for bash: source it, e.g. from ~/.bashrc:
#   source <(contain completion bash)
__contain_spec() {
  case "$1" in
${cases.join("\n")}
    *) flags=''; valued=''; subs=''; kind=none; after=-1; stops=0 ;;
  esac
}

__contain_containers() {
  ${PS_BASH}
}

_contain() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local bin=\${COMP_WORDS[0]} path='' word i npos=0 dashdash=0 flags valued subs kind after stops
  local -a roots=()
  COMPREPLY=()
  # The command's words, the flags' values and --root (for ps) on the way.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -z $path ]]; then
      case "$word" in
        --root|--log|--log-format) [[ $word == --root ]] && roots=(--root "\${COMP_WORDS[i+1]}"); ((i++)) ;;
        -*) ;;
        *) path=$word; __contain_spec "$path" ;;
      esac
      continue
    fi
    if ((dashdash == 0)) && [[ $word == -- ]]; then dashdash=1; continue; fi
    if ((dashdash == 0 && (stops == 0 || npos == 0))) && [[ $word == -* ]]; then
      [[ $word == --root ]] && roots=(--root "\${COMP_WORDS[i+1]}")
      [[ $valued == *"|$word|"* ]] && ((i++))
      continue
    fi
    if [[ -n $subs && $npos -eq 0 ]] && [[ " $subs " == *" $word "* ]]; then path="$path $word"; __contain_spec "$path"; continue; fi
    ((npos++))
  done
  if [[ -z $path ]]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${q(top.flags.flatMap((f) => f.names).join(" "))} -- "$cur"))
    else COMPREPLY=($(compgen -W ${q(top.subcommands.join(" "))} -- "$cur")); fi
    return 0
  fi
  # In the container's command, or a flag's value: files, as a shell would.
  local command=0
  if ((stops == 1)); then
    ((npos >= after && (npos > 0 || dashdash == 1))) && command=1
    ((npos == after && npos == 0)) && [[ $cur != -* ]] && command=1
  elif ((after >= 0 && dashdash == 1 && npos >= after)); then
    command=1
  fi
  if ((command == 1)) || [[ $valued == *"|$prev|"* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]] && ((dashdash == 0 && (stops == 0 || npos == 0))); then COMPREPLY=($(compgen -W "$flags" -- "$cur")); return 0; fi
  if [[ -n $subs ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return 0; fi
  case $kind in
    containers) COMPREPLY=($(compgen -W "$(__contain_containers)" -- "$cur")) ;;
    shells) COMPREPLY=($(compgen -W ${q(SHELLS.join(" "))} -- "$cur")) ;;
  esac
  return 0
}
complete -F _contain contain
`;
}

// zsh runs the bash completion through its bashcompinit emulation (as
// many tools ship theirs), so both shells complete alike.
function zsh(commands: Completed[]): string {
  return `#compdef contain
# contain's completion for zsh: source it, e.g. from ~/.zshrc:
#   source <(contain completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(commands).split("\n").filter((l) => !l.startsWith("#")).join("\n")}`;
}

function fish(commands: Completed[]): string {
  const lines = [
    "# contain's completion for fish: contain completion fish > ~/.config/fish/completions/contain.fish",
    "function __contain_containers",
    "    set -l words (commandline -opc)",
    "    set -l roots",
    "    if set -l i (contains -i -- --root $words)",
    "        set roots --root $words[(math $i + 1)]",
    "    end",
    `    $words[1] $roots ps -a --format '{{.ID}}\\n{{.Names}}' 2>/dev/null | string match -v ''`,
    "end",
    // The line's words but flags and the global flags' values: `contain
    // --root R node create web` gives node create web.
    "function __contain_path",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    set -l skip 0",
    "    for w in $words",
    "        if test $skip -eq 1",
    "            set skip 0",
    "        else if contains -- $w --root --log --log-format",
    "            set skip 1",
    "        else if not string match -q -- '-*' $w",
    "            echo $w",
    "        end",
    "    end",
    "end",
    "complete -c contain -f",
  ];
  for (const c of commands) {
    const depth = c.path === "" ? 0 : c.path.split(" ").length;
    // `within`: the line is in this command (its flags, its arguments);
    // `exact`: nothing follows its words yet (its subcommands, a first argument).
    const exact = c.path === "" ? "test (count (__contain_path)) -eq 0" : `set -l p (__contain_path); test (count $p) -eq ${depth}; and test "$p" = ${q(c.path)}`;
    const within = c.path === "" ? exact : `set -l p (__contain_path); test (count $p) -ge ${depth}; and test "$p[1..${depth}]" = ${q(c.path)}`;
    for (const f of c.flags) {
      const opts = f.names.map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)).join(" ");
      lines.push(`complete -c contain -n ${q(within)} ${opts}${f.value ? " -r -F" : ""} -d ${q(f.description)}`);
    }
    for (const name of c.subcommands) {
      const sub = commands.find((x) => x.path === (c.path ? `${c.path} ${name}` : name));
      lines.push(`complete -c contain -n ${q(exact)} -a ${q(name)} -d ${q(sub?.description ?? "")}`);
    }
    const kind = positionalKind(c.path);
    if (kind === "containers") lines.push(`complete -c contain -n ${q(c.path === "exec" ? exact : within)} -a '(__contain_containers)'`);
    if (kind === "shells") lines.push(`complete -c contain -n ${q(exact)} -a ${q(SHELLS.join(" "))}`);
  }
  return `${lines.join("\n")}\n`;
}

export default defineCommand({
  meta: { name: "completion", description: "Print a script that completes contain's commands, flags and containers: bash, zsh or fish" },
  args: toCittyArgs(completionFlags, { name: "shell", usage: "bash|zsh|fish", description: "The shell the script is for", required: true }),
  async run({ rawArgs }) {
    const { positionals } = parseFlags(completionFlags, rawArgs, "completion");
    const shell = positionals[0];
    if (positionals.length !== 1 || !SHELLS.includes(shell as never))
      throw new SpecError("shell", positionals.length > 1 ? `takes one shell, not ${positionals.length}` : shell === undefined ? "missing" : `${JSON.stringify(shell)} is not bash, zsh or fish`, "e.g. source <(contain completion bash)");
    // Loaded here: the command table, and with it every command's definition.
    const { main } = await import("./main.ts");
    const commands = await commandsOf(main);
    print(shell === "bash" ? bash(commands) : shell === "zsh" ? zsh(commands) : fish(commands));
    return 0;
  },
});
