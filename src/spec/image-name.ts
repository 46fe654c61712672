// Image names as the store keys them and as docker shows them. A stand-in
// for docker's normalization (src/spec/reference.ts), with only the
// library rule: a bare name is docker.io/library/NAME:latest.

// The names to look a reference up by in the store, in order: as given,
// then, for a bare name (no registry, tag or digest), its normalized form.
export function lookupNames(ref: string): string[] {
  return /[/:@]/.test(ref) ? [ref] : [ref, `docker.io/library/${ref}:latest`];
}

// docker's familiar form (reference.FamiliarString): without docker.io/
// and its library/.
export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/(library\/)?/, "");
}
