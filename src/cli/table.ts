// Plain-text tables and docker's human times ("Up 3 minutes",
// "Exited (0) 2 minutes ago"). Pure.

// docker's units.HumanDuration.
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

// Columns padded to their widest cell, three spaces apart, as docker prints.
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

// A command for a table cell: quoted, cut to `max` characters.
export function shortCommand(args: readonly string[], max = 24): string {
  const text = args.join(" ");
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

// docker's units.HumanSizeWithPrecision(n, 3), which its NET I/O and BLOCK
// I/O columns print: decimal units, three significant digits ("1.23kB").
export function siSize(bytes: number): string {
  let n = bytes;
  let i = 0;
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}
