// An image's config under `run`'s flags, by docker's rules: its daemon's
// merge of the image's config with the container's (daemon/commit.go) and
// the environment it builds (CreateDaemonEnvironment). Pure.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import type { ImageConfig } from "./image.ts";
import { resolveUser, type User } from "./users.ts";

export type ContainerConfig = NonNullable<ImageConfig["config"]>;

// The image a container is made from, as `run` hands it to specFromFlags.
export interface ImageUse {
  name: string; // as given on the line: docker's Config.Image
  id: string; // sha256:<hex> of its config: docker's Image
  layers: string[]; // diff IDs, bottom first
  config: ContainerConfig;
}

// The command: Entrypoint + Cmd. A command on the line replaces Cmd;
// --entrypoint replaces Entrypoint and drops the image's Cmd (the image's
// arguments were meant for its own entrypoint), and --entrypoint "" leaves
// no entrypoint at all.
export function imageCommand(image: ImageUse, command: readonly string[], entrypoint: string | undefined): { entrypoint: string[]; args: string[] } {
  const ep = entrypoint === undefined ? [...(image.config.Entrypoint ?? [])] : entrypoint === "" ? [] : [entrypoint];
  const cmd = command.length ? [...command] : entrypoint === undefined ? [...(image.config.Cmd ?? [])] : [];
  const args = [...ep, ...cmd];
  if (!args.length) {
    const why = entrypoint === undefined ? "its config has no Entrypoint and no Cmd" : `--entrypoint ${entrypoint ? entrypoint : '""'} drops its Cmd`;
    throw new SpecError("command", `image ${image.name} has no command to run: ${why}`, `give one after --, e.g. contain run ${image.name} -- /bin/sh`);
  }
  return { entrypoint: ep, args };
}

// The image's Env, under which --env-file and -e go; its PATH, when it has
// one, replaces contain's default.
export const imageEnv = (image: ImageUse): string[] => [...(image.config.Env ?? [])];

// Its WorkingDir (absolute in every config docker writes; a relative one is
// taken from /), or none.
export function imageWorkdir(image: ImageUse): string | undefined {
  const dir = image.config.WorkingDir;
  return dir ? posix.join("/", dir) : undefined;
}

// Its User, looked up in its own /etc/passwd and /etc/group; root when it
// names none. A name the image does not have is the image's fault, and -u
// the way around it.
export function imageUser(image: ImageUse, passwd: string, group: string): User {
  const user = image.config.User;
  if (!user) return { uid: 0, gid: 0, additionalGids: [] };
  try {
    return resolveUser(user, passwd, group);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    const why = err.message.slice(err.field.length + 2).replace("the root filesystem's", "its");
    throw new SpecError(`image ${image.name}`, `its config's User ${JSON.stringify(user)}: ${why}`, "run it as another user with --user, e.g. --user 0");
  }
}

// Its Labels, under -l and --label-file's.
export const imageLabels = (image: ImageUse): Record<string, string> => ({ ...image.config.Labels });

// Its StopSignal (SIGQUIT, or a number), unless --stop-signal.
export const imageStopSignal = (image: ImageUse): string | undefined => image.config.StopSignal || undefined;

// Its ExposedPorts ("80/tcp", "53/udp", "8080"), which -P publishes.
export const exposedPorts = (image: ImageUse): string[] => Object.keys(image.config.ExposedPorts ?? {});
