// The pull display: docker's lines, built as strings, and the redraw that
// moves the cursor back over the last frame, at most ten times a second.
import { describe, expect, test } from "bun:test";
import { humanSize, progress, renderLayer, renderLines } from "../../src/image/progress.ts";

const DIGEST = `sha256:3f4ca61aafcd${"0".repeat(52)}`;

describe("renderLayer", () => {
  test("docker's sizes", () => {
    expect(humanSize(0)).toBe("0B");
    expect(humanSize(999)).toBe("999B");
    expect(humanSize(1000)).toBe("1kB");
    expect(humanSize(12_345_678)).toBe("12.35MB");
    expect(humanSize(50_100_000)).toBe("50.1MB");
    expect(humanSize(3_200_000_000)).toBe("3.2GB");
  });

  test("states without a count", () => {
    for (const state of ["Waiting", "Verifying Checksum", "Download complete", "Pull complete", "Already exists"] as const)
      expect(renderLayer({ id: "3f4ca61aafcd", state, done: 5, size: 10 })).toBe(`3f4ca61aafcd: ${state}`);
  });

  test("a download's bar and counts", () => {
    const line = renderLayer({ id: "3f4ca61aafcd", state: "Downloading", done: 12_345_678, size: 50_100_000 });
    expect(line).toBe(`3f4ca61aafcd: Downloading [${"=".repeat(12)}>${" ".repeat(38)}]  12.35MB/50.1MB`);
  });

  test("the bar at 0% and at 100%", () => {
    expect(renderLayer({ id: "a", state: "Extracting", done: 0, size: 10 })).toBe(`a: Extracting [>${" ".repeat(50)}]       0B/10B`);
    expect(renderLayer({ id: "a", state: "Extracting", done: 10, size: 10 })).toBe(`a: Extracting [${"=".repeat(50)}>]      10B/10B`);
  });

  test("no bar on a narrow terminal, and no total when the size is unknown or wrong", () => {
    expect(renderLayer({ id: "a", state: "Downloading", done: 1500, size: 3000 }, 80)).toBe("a: Downloading    1.5kB/3kB");
    expect(renderLayer({ id: "a", state: "Downloading", done: 1500 })).toBe("a: Downloading    1.5kB");
    expect(renderLayer({ id: "a", state: "Downloading", done: 4000, size: 3000 })).toBe(`a: Downloading [${"=".repeat(50)}>]      4kB`);
  });

  test("lines are cut to the terminal's width", () => {
    const [line] = renderLines([{ id: "3f4ca61aafcd", state: "Downloading", done: 1, size: 2 }], 20);
    expect(line).toBe("3f4ca61aafcd: Downl");
  });
});

describe("progress", () => {
  function sink() {
    const writes: string[] = [];
    return { writes, write: (s: string) => writes.push(s) };
  }

  test("off a terminal it writes nothing", () => {
    const out = sink();
    const p = progress(out, false);
    p.layer(DIGEST, 10);
    p.update(DIGEST, 5);
    p.state(DIGEST, "Pull complete");
    p.done();
    expect(out.writes).toEqual([]);
  });

  test("redraws in place, throttled, and the last frame at done", () => {
    const out = sink();
    let clock = 1000;
    const p = progress(out, true, { now: () => clock, columns: 80 });
    p.layer(DIGEST, 3000);
    p.layer("sha256:bbbbbbbbbbbb", undefined, "Already exists");
    p.update(DIGEST, 1000); // within 100 ms of the first frame: not drawn
    expect(out.writes).toEqual(["\x1b[2K3f4ca61aafcd: Waiting\n"]);
    clock += 100;
    p.state(DIGEST, "Downloading");
    p.update(DIGEST, 1500);
    p.state(DIGEST, "Pull complete");
    p.done();
    p.update(DIGEST, 2000); // after done: nothing
    expect(out.writes).toEqual([
      "\x1b[2K3f4ca61aafcd: Waiting\n",
      "\x1b[1A\x1b[2K3f4ca61aafcd: Pull complete\n\x1b[2Kbbbbbbbbbbbb: Already exists\n",
    ]);
  });

  test("a frame due later is drawn by its timer", async () => {
    const out = sink();
    const p = progress(out, true, { columns: 80 });
    p.layer(DIGEST, 3000, "Downloading");
    p.update(DIGEST, 1500);
    expect(out.writes).toHaveLength(1);
    await Bun.sleep(150);
    expect(out.writes).toEqual(["\x1b[2K3f4ca61aafcd: Downloading       0B/3kB\n", "\x1b[1A\x1b[2K3f4ca61aafcd: Downloading    1.5kB/3kB\n"]);
    p.done();
  });
});
