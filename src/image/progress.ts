// The pull display, docker's (its jsonmessage lines): one line per layer,
// `3f4ca61aafcd: Downloading [=====>    ]  12.35MB/50.1MB`, redrawn in place
// with ANSI cursor movement, at most ten times a second. Off a terminal it
// shows nothing: a log or a pipe gets only what the caller prints at the end.
// The rendering is pure (renderLayer, renderLines) so it is tested apart.

export type LayerState = "Waiting" | "Downloading" | "Verifying Checksum" | "Download complete" | "Extracting" | "Pull complete" | "Already exists";

export interface LayerLine {
  id: string; // the digest's first 12 hex digits, as docker shows it
  state: LayerState;
  done: number; // bytes so far of this state's work (download or extraction)
  size?: number;
}

export interface Progress {
  layer(digest: string, size?: number, state?: LayerState): void;
  update(digest: string, done: number): void;
  state(digest: string, state: LayerState): void;
  done(): void;
}

export interface Sink {
  write(text: string): unknown;
}

const BAR = 50; // docker's bar: 50 cells, one per 2%
const MIN_INTERVAL_MS = 100;
const CLEAR_LINE = "\x1b[2K";
const up = (n: number) => `\x1b[${n}A`;

// docker's units.HumanSize: decimal units, four significant digits (12.35MB).
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

// One layer's line. The bar only when the terminal is wide enough to hold it
// on one line (a wrapped line breaks the redraw's cursor arithmetic).
export function renderLayer(line: LayerLine, columns = 120): string {
  const head = `${line.id}: ${line.state}`;
  if (line.state !== "Downloading" && line.state !== "Extracting") return head;
  const { done, size } = line;
  if (!size || size <= 0) return done > 0 ? `${head} ${humanSize(done).padStart(8)}` : head;
  const counts = done > size ? humanSize(done).padStart(8) : `${humanSize(done).padStart(8)}/${humanSize(size)}`;
  const filled = Math.min(BAR, Math.floor((done / size) * BAR));
  const bar = `[${"=".repeat(filled)}>${" ".repeat(BAR - filled)}] `;
  const withBar = `${head} ${bar}${counts}`;
  return withBar.length < columns ? withBar : `${head} ${counts}`;
}

// The whole frame, each line cut to the terminal's width so none wraps.
export function renderLines(lines: readonly LayerLine[], columns = 120): string[] {
  return lines.map((l) => renderLayer(l, columns).slice(0, Math.max(1, columns - 1)));
}

export function progress(out: Sink, isTTY: boolean, opts: { columns?: number; now?: () => number } = {}): Progress {
  if (!isTTY) return { layer() {}, update() {}, state() {}, done() {} };
  const now = opts.now ?? (() => performance.now());
  const layers = new Map<string, LayerLine>();
  let drawn = 0; // lines on screen from the last frame
  let lastDraw = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;

  const draw = () => {
    timer = undefined;
    lastDraw = now();
    const frame = renderLines([...layers.values()], opts.columns ?? 120);
    if (!frame.length) return;
    out.write(`${drawn ? up(drawn) : ""}${frame.map((l) => `${CLEAR_LINE}${l}\n`).join("")}`);
    drawn = frame.length;
  };
  const changed = () => {
    if (finished || timer) return;
    const wait = lastDraw + MIN_INTERVAL_MS - now();
    if (wait <= 0) return draw();
    timer = setTimeout(draw, wait);
    timer.unref?.();
  };
  const find = (digest: string) => layers.get(shortId(digest));

  return {
    layer(digest, size, state = "Waiting") {
      const id = shortId(digest);
      layers.set(id, { id, state, done: 0, ...(size === undefined ? {} : { size }) });
      changed();
    },
    update(digest, done) {
      const l = find(digest);
      if (!l) return;
      l.done = done;
      changed();
    },
    state(digest, state) {
      const l = find(digest);
      if (!l) return;
      l.state = state;
      l.done = 0;
      changed();
    },
    done() {
      if (finished) return;
      if (timer) clearTimeout(timer);
      draw();
      finished = true;
    },
  };
}
