// An image's config under run's flags, by docker's rules (spec/image-config.ts).
import { describe, expect, test } from "bun:test";
import { specFromFlags, type FlagContext, type RunFlags } from "../../src/spec/from-flags.ts";
import { imageCommand, type ImageUse } from "../../src/spec/image-config.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec, type Spec } from "../../src/spec/schema.ts";
import { CONTEXT, refusal } from "./fixtures.ts";

const ID = "f".repeat(64);
const hex = (c: string) => `sha256:${c.repeat(64)}`;
const MERGED = `/var/lib/contain/containers/${ID}/rootfs/merged`;

const IMAGE: ImageUse = {
  name: "127.0.0.1:5000/app:1",
  id: hex("a"),
  layers: [hex("1"), hex("2")],
  config: {
    Entrypoint: ["/bin/app", "--serve"],
    Cmd: ["--port", "80"],
    Env: ["PATH=/opt/app/bin:/usr/bin:/bin", "MODE=image", "ONLY_IMAGE=1"],
    WorkingDir: "/srv/app",
    User: "app",
    Labels: { tier: "back", owner: "image" },
    ExposedPorts: { "80/tcp": {}, "53/udp": {} },
  },
};

// The image's own /etc/passwd and /etc/group, as read from its layers.
const IMAGE_USERS: FlagContext = {
  ...CONTEXT,
  passwd: "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/home/app:/bin/sh\n",
  group: "root:x:0:\napp:x:2345:\naudio:x:29:app\n",
};

const withImage = (flags: Partial<RunFlags> = {}, image: ImageUse = IMAGE, ctx = IMAGE_USERS): Spec =>
  validateSpec(specFromFlags({ command: [], rootfs: MERGED, tty: false, image, ...flags }, ID, ctx), { cpus: 2 });

const envOf = (s: Spec) => Object.fromEntries(s.process.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));

describe("the command: Entrypoint + Cmd", () => {
  const run = (command: string[], entrypoint?: string, config: ImageUse["config"] = IMAGE.config) => imageCommand({ ...IMAGE, config }, command, entrypoint);

  test("the image's own, its entrypoint recorded apart", () => {
    expect(run([])).toEqual({ entrypoint: ["/bin/app", "--serve"], args: ["/bin/app", "--serve", "--port", "80"] });
  });

  test("a command on the line replaces Cmd, not Entrypoint", () => {
    expect(run(["--port", "8080"]).args).toEqual(["/bin/app", "--serve", "--port", "8080"]);
  });

  test("--entrypoint replaces Entrypoint and drops the image's Cmd", () => {
    expect(run([], "/bin/sh")).toEqual({ entrypoint: ["/bin/sh"], args: ["/bin/sh"] });
    expect(run(["-c", "echo hi"], "/bin/sh").args).toEqual(["/bin/sh", "-c", "echo hi"]);
  });

  test('--entrypoint "" resets it: the line is the whole command', () => {
    expect(run(["ls", "-l"], "")).toEqual({ entrypoint: [], args: ["ls", "-l"] });
  });

  test("an image with Cmd only, or Entrypoint only", () => {
    expect(run([], undefined, { Cmd: ["/bin/sh"] })).toEqual({ entrypoint: [], args: ["/bin/sh"] });
    expect(run(["echo", "x"], undefined, { Cmd: ["/bin/sh"] }).args).toEqual(["echo", "x"]);
    expect(run([], undefined, { Entrypoint: ["/init"], Cmd: null }).args).toEqual(["/init"]);
  });

  test("no command at all: one line naming the fix", () => {
    expect(refusal(() => run([], undefined, {})).message).toBe("command: image 127.0.0.1:5000/app:1 has no command to run: its config has no Entrypoint and no Cmd");
    expect(refusal(() => run([], undefined, {})).hint).toBe("give one after --, e.g. contain run 127.0.0.1:5000/app:1 -- /bin/sh");
    expect(refusal(() => run([], "")).message).toBe('command: image 127.0.0.1:5000/app:1 has no command to run: --entrypoint "" drops its Cmd');
  });

  test("through specFromFlags: process.args, and contain.entrypoint for inspect", () => {
    const s = withImage({ command: ["--port", "9"] });
    expect(s.process.args).toEqual(["/bin/app", "--serve", "--port", "9"]);
    expect(s.contain?.entrypoint).toEqual(["/bin/app", "--serve"]);
    expect(withImage({ entrypoint: "", command: ["true"] }).contain?.entrypoint).toBeUndefined();
  });
});

describe("the environment", () => {
  test("the image's first, then --env-file, then -e; the image's PATH replaces the default", () => {
    const env = envOf(withImage({ envFiles: ["MODE=file", "FROM_FILE=1"], env: ["MODE=flag", "FROM_HOST"] }));
    expect(env).toMatchObject({ PATH: "/opt/app/bin:/usr/bin:/bin", ONLY_IMAGE: "1", FROM_FILE: "1", MODE: "flag", FROM_HOST: "yes", HOSTNAME: ID.slice(0, 12), HOME: "/home/app" });
    expect(envOf(withImage({ envFiles: ["MODE=file"] })).MODE).toBe("file");
    expect(envOf(withImage({ env: ["PATH=/x"] })).PATH).toBe("/x");
  });

  test("an image without PATH keeps contain's default", () => {
    expect(envOf(withImage({}, { ...IMAGE, config: { Cmd: ["sh"] } })).PATH).toBe("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  });
});

describe("working directory, user, labels", () => {
  test("WorkingDir unless -w; none is /", () => {
    expect(withImage().process.cwd).toBe("/srv/app");
    expect(withImage({ workdir: "/tmp" }).process.cwd).toBe("/tmp");
    expect(withImage({}, { ...IMAGE, config: { Cmd: ["sh"] } }).process.cwd).toBe("/");
    expect(withImage({}, { ...IMAGE, config: { Cmd: ["sh"], WorkingDir: "rel/dir" } }).process.cwd).toBe("/rel/dir");
  });

  test("User by name from the image's /etc/passwd and /etc/group, unless -u", () => {
    expect(withImage().process.user).toEqual({ uid: 1234, gid: 2345, umask: 0o022, additionalGids: [29] });
    expect(withImage({ user: "0" }).process.user).toMatchObject({ uid: 0, gid: 0 });
    expect(envOf(withImage({ user: "0" })).HOME).toBe("/root");
    expect(withImage({}, { ...IMAGE, config: { Cmd: ["sh"], User: "5:6" } }).process.user).toMatchObject({ uid: 5, gid: 6 });
    expect(withImage({}, { ...IMAGE, config: { Cmd: ["sh"] } }).process.user).toMatchObject({ uid: 0, gid: 0 });
  });

  test("a User the image does not have: one line naming the image and the fix", () => {
    const err = refusal(() => withImage({}, { ...IMAGE, config: { Cmd: ["sh"], User: "ghost" } }));
    expect(err.message).toBe('image 127.0.0.1:5000/app:1: its config\'s User "ghost": no user "ghost" in its /etc/passwd');
    expect(err.hint).toBe("run it as another user with --user, e.g. --user 0");
    // -u takes its place, and is looked up instead
    expect(withImage({ user: "app" }, { ...IMAGE, config: { Cmd: ["sh"], User: "ghost" } }).process.user.uid).toBe(1234);
  });

  test("Labels merged under -l", () => {
    expect(withImage({ labels: ["owner=me", "extra"] }).annotations).toEqual({ tier: "back", owner: "me", extra: "" });
    expect(withImage().annotations).toEqual({ tier: "back", owner: "image" });
  });
});

test("the Spec records the image; root.path is the overlay's merged directory", () => {
  const s = withImage();
  expect(s.contain?.image).toEqual({ name: "127.0.0.1:5000/app:1", id: hex("a"), layers: [hex("1"), hex("2")] });
  expect(s.root.path).toBe(MERGED);
  expect(s.contain?.overlay).toBe(true);
});

test("without an image nothing changes: --entrypoint is the first word, / and root", () => {
  const s = validateSpec(specFromFlags({ command: ["-c", "true"], rootfs: "/r", tty: false, entrypoint: "sh" }, ID, CONTEXT), { cpus: 2 });
  expect(s.process.args).toEqual(["sh", "-c", "true"]);
  expect(s.contain?.entrypoint).toEqual(["sh"]);
  expect(s.contain?.image).toBeUndefined();
  expect(s.process.cwd).toBe("/");
  expect(s.process.user).toMatchObject({ uid: 0, gid: 0 });
});

describe("-P: the exposed ports on free host ports", () => {
  const exposed = Object.keys(IMAGE.config.ExposedPorts ?? {});

  test("each exposed port, but those -p publishes", () => {
    expect(networkFromFlags({ publishAll: exposed }).ports).toEqual([
      { proto: "tcp", containerPort: 80 },
      { proto: "udp", containerPort: 53 },
    ]);
    expect(networkFromFlags({ publish: ["8080:80"], publishAll: exposed }).ports).toEqual([
      { proto: "tcp", hostPorts: { first: 8080, last: 8080 }, containerPort: 80 },
      { proto: "udp", containerPort: 53 },
    ]);
    expect(networkFromFlags({ publishAll: ["8080", "7000-7001/tcp"] }).ports.map((p) => p.containerPort)).toEqual([8080, 7000, 7001]);
    expect(networkFromFlags({ publishAll: [] }).ports).toEqual([]);
  });

  test("what cannot be published: one line each", () => {
    expect(refusal(() => networkFromFlags({ publishAll: ["80/sctp"] })).message).toBe("--publish-all: the image exposes 80/sctp, and contain publishes tcp and udp ports only");
    expect(refusal(() => networkFromFlags({ publishAll: ["http"] })).message).toBe('--publish-all: the image exposes "http", which is not PORT[/tcp|/udp]');
    expect(refusal(() => networkFromFlags({ publishAll: ["0/tcp"] })).message).toBe('--publish-all: the image exposes "0/tcp", which is not PORT[/tcp|/udp]');
    expect(refusal(() => networkFromFlags({ net: "none", publishAll: exposed })).message).toBe("--publish-all: needs --net bridge, not --net none");
  });
});

