export {};
// The one entry point. `contain init` is the re-exec'd stage inside the new
// namespaces (see shared/DESIGN.md); everything else is the CLI. Each path
// imports only its own modules: the init runs at every container start and
// should not pay for the CLI's.
const args = process.argv.slice(2);
// What contain creates (state, the copy-on-write layer's directories, mount
// points, the working directory) gets the modes it asks for, whatever the
// caller's umask: with 077 the container's root would be 0700 to its users.
process.umask(0o022);
if (args[0] === "init") {
  const { runInit } = await import("./init/init.ts");
  runInit(Number(args[1]), Number(args[2]), Number(args[3] ?? -1));
} else {
  // A foreground run's init boots while this process loads (cli/ahead.ts).
  await (await import("./cli/ahead.ts")).cloneAhead(args);
  const { cli } = await import("./cli/main.ts");
  process.exit(await cli(args));
}
