// A kernel release (uname -r) against a profile's minKernel ("MAJOR.MINOR");
// without a release, a rule's minKernel is taken to hold (every kernel this
// runtime supports is newer than any in docker's profile).
export function kernelAtLeast(release: string | undefined, min: string): boolean {
  if (release === undefined) return true;
  const [major = 0, minor = 0] = release.split(/[.-]/).map(Number);
  const [wantMajor = 0, wantMinor = 0] = min.split(".").map(Number);
  return major !== wantMajor ? major > wantMajor : minor >= wantMinor;
}
