// -u/--user against the root filesystem's /etc/passwd and /etc/group, as docker
// resolves it: a name or a number for the user, optionally :group.
import { SpecError } from "../errors.ts";

export interface User {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

interface Entry {
  name: string;
  id: number;
  fields: string[];
}

// passwd(5) and group(5): colon-separated, the id in the third field.
function parseDb(text: string): Entry[] {
  return text.split("\n").flatMap((line) => {
    const fields = line.split(":");
    const id = Number(fields[2]);
    if (line.startsWith("#") || fields.length < 4 || !Number.isInteger(id)) return [];
    return [{ name: fields[0] ?? "", id, fields }];
  });
}

const isId = (s: string) => /^\d+$/.test(s);
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to setresuid

function id(part: string): number {
  const n = Number(part);
  if (n > MAX_ID) throw new SpecError("--user", `${part} is out of range`, `use an id up to ${MAX_ID}`);
  return n;
}

// passwd/group: the files' text, "" when the root filesystem has none.
export function resolveUser(spec: string, passwd: string, group: string): User {
  const [userPart = "", groupPart, extra] = spec.split(":");
  if (!userPart || extra !== undefined || groupPart === "")
    throw new SpecError("--user", `${JSON.stringify(spec)} is not USER[:GROUP]`, "e.g. --user 1000, --user 1000:1000 or --user nobody");
  const users = parseDb(passwd);
  const groups = parseDb(group);
  const entry = isId(userPart) ? users.find((u) => u.id === id(userPart)) : users.find((u) => u.name === userPart);
  if (!entry && !isId(userPart))
    throw new SpecError("--user", `no user ${JSON.stringify(userPart)} in the root filesystem's /etc/passwd`, "use a numeric id, e.g. --user 1000, or add the user to the image");
  const uid = entry?.id ?? id(userPart);
  let gid = entry ? Number(entry.fields[3]) : uid === 0 ? 0 : uid;
  if (groupPart !== undefined) {
    const g = isId(groupPart) ? { id: id(groupPart) } : groups.find((e) => e.name === groupPart);
    if (!g) throw new SpecError("--user", `no group ${JSON.stringify(groupPart)} in the root filesystem's /etc/group`, "use a numeric gid, e.g. --user 1000:1000");
    gid = g.id;
  }
  // Supplementary groups: those that list the user by name (group(5) field 4).
  const name = entry?.name;
  const additionalGids = name ? groups.filter((g) => (g.fields[3] ?? "").split(",").includes(name) && g.id !== gid).map((g) => g.id) : [];
  const home = entry?.fields[5] || undefined;
  return { uid, gid, additionalGids: [...new Set(additionalGids)], ...(home ? { home } : {}) };
}

// --group-add: a group of the root filesystem's /etc/group by name, or a GID
// (which need not be listed there), as docker's.
export function resolveGroup(spec: string, group: string): number {
  if (isId(spec)) {
    const n = Number(spec);
    if (n > MAX_ID) throw new SpecError("--group-add", `${spec} is out of range`, `use a gid up to ${MAX_ID}`);
    return n;
  }
  const entry = parseDb(group).find((g) => g.name === spec);
  if (!entry) throw new SpecError("--group-add", `no group ${JSON.stringify(spec)} in the root filesystem's /etc/group`, "use a numeric gid, e.g. --group-add 1000, or add the group to the image");
  return entry.id;
}
