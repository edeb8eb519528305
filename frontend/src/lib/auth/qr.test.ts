import { describe, expect, it } from 'vitest';
import { cellPixels, qrShape } from './qr';

describe('qrShape', () => {
  it('turns each run of dark cells into one rectangle', () => {
    const shape = qrShape(['0000', '0110', '1011', '0000']);
    expect(shape).toEqual({
      size: 4,
      runs: [
        { x: 1, y: 1, width: 2 },
        { x: 0, y: 2, width: 1 },
        { x: 2, y: 2, width: 2 },
      ],
    });
  });

  it('draws nothing for light rows', () => {
    expect(qrShape(['00', '00'])).toEqual({ size: 2, runs: [] });
  });

  it('refuses rows that are not a square of 0 and 1', () => {
    expect(qrShape([])).toBeNull();
    expect(qrShape(['01', '0'])).toBeNull();
    expect(qrShape(['011', '010'])).toBeNull();
    expect(qrShape(['0x', '01'])).toBeNull();
    expect(qrShape(['<>', '01'])).toBeNull();
  });

  it('covers every dark cell exactly once', () => {
    const rows = ['10101', '11111', '00000', '11011', '01110'];
    const shape = qrShape(rows)!;
    const drawn = rows.map((row) => [...row].map(() => '0'));
    for (const run of shape.runs) {
      for (let x = run.x; x < run.x + run.width; x += 1) {
        expect(drawn[run.y]![x]).toBe('0');
        drawn[run.y]![x] = '1';
      }
    }
    expect(drawn.map((row) => row.join(''))).toEqual(rows);
  });
});

describe('cellPixels', () => {
  it('is a whole number of pixels near the target width', () => {
    expect(cellPixels(41)).toBe(5);
    expect(cellPixels(49)).toBe(4);
    expect(cellPixels(49, 240)).toBe(5);
  });

  it('never draws cells smaller than two pixels', () => {
    expect(cellPixels(177)).toBe(2);
    expect(cellPixels(0)).toBe(200);
  });
});
