// A QR code from the server's rows of '1' (dark) and '0' (light), as the rectangles an SVG
// draws: one per horizontal run of dark cells, so a code of ~2,000 cells needs a few hundred.

export interface QrRun {
  x: number;
  y: number;
  width: number;
}

export interface QrShape {
  /** Cells across and down (the quiet zone included). */
  size: number;
  runs: QrRun[];
}

/** Null when the rows are not a square of '0' and '1' (nothing to draw, never a wrong code). */
export function qrShape(rows: readonly string[]): QrShape | null {
  const size = rows.length;
  if (size === 0 || rows.some((row) => row.length !== size || !/^[01]+$/.test(row))) return null;
  const runs: QrRun[] = [];
  rows.forEach((row, y) => {
    for (const match of row.matchAll(/1+/g)) runs.push({ x: match.index, y, width: match[0].length });
  });
  return { size, runs };
}

/** Pixels per cell: a whole number (crisp edges), the code about `target` pixels wide. */
export function cellPixels(size: number, target = 200): number {
  return Math.max(2, Math.round(target / Math.max(size, 1)));
}
