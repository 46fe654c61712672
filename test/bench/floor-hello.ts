// A compiled Bun program that does nothing: the floor of every Bun command's
// start and exit (lifecycle.ts --floor).
export {};
