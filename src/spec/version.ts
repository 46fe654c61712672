// The runtime-spec versions contain implements, in a module of their own so
// that the commands that only name them (state, --version) do not load the
// config's schema.
//
// The runtime-spec releases a config.json may name (config.md: ociVersion is
// SemVer; a config of 1.N is "compatible with all runtimes that support any
// 1.N or later release", not with one that supports only older ones). KNOWN
// and SPEC_FIELDS cover every field of 1.2.1's schema (1.2.1 added
// process.execCPUAffinity, refused by name), so a config of any 1.0, 1.1 or
// 1.2 release is read field by field; one of 1.3 may mean what contain has
// not read, and a 1.0.0 release candidate predates the 1.0 format.
export const OCI_VERSION_MIN = "1.0.0";
export const OCI_VERSION_MAX = "1.2.1";
