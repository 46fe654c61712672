// Terminal manners, for run and exec in the foreground.
import { ContainError } from "../errors.ts";
import { inBackground, isTerminal, releaseStdin } from "../linux/pty.ts";

// -it asks for the input of a terminal: refused without one, as docker
// refuses it (-t alone is allowed). A contain in the background of its
// terminal (`contain run ... &`) would be stopped by the shell at its first
// read or mode change: it leaves the terminal to the shell, and its command
// reads /dev/null.
export function takeTerminal(interactive: boolean, tty: boolean): void {
  if (interactive && tty && !isTerminal(0)) throw new ContainError("the input device is not a TTY", "leave out -t to give the command stdin as it is (-i), or run it from a terminal");
  if (!inBackground(0)) return;
  if (interactive) throw new ContainError("-i: contain is in the background of its terminal, whose input belongs to the shell there", "run it in the foreground, or leave out -i (the command then reads /dev/null)");
  releaseStdin();
}
