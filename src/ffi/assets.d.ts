// Files embedded in the binary by `import ... with { type: "file" }`: the
// import yields a path (under /$bunfs in the compiled binary).
declare module "*.so" {
  const path: string;
  export default path;
}
declare module "*.tar.gz" {
  const path: string;
  export default path;
}
declare module "*.elf" {
  const path: string;
  export default path;
}
