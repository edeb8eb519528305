// WCAG AA for the colour pairs app.css actually uses for text and controls, in both themes:
// a later change of palette that makes something hard to read fails here.
import { describe, expect, it } from 'vitest';
import css from './app.css?raw';

type Palette = Record<string, string>;

/** The custom properties of the first rule whose selector is exactly `selector`. */
function palette(selector: string): Palette {
  const start = css.indexOf(`${selector} {`);
  if (start === -1) throw new Error(`app.css has no ${selector} rule`);
  const body = css.slice(start, css.indexOf('}', start));
  const colours: Palette = {};
  for (const [, name, value] of body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) {
    colours[name!] = value!.toLowerCase();
  }
  return colours;
}

function channel(hex: string, at: number): number {
  const value = parseInt(hex.slice(at, at + 2), 16) / 255;
  return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

function luminance(hex: string): number {
  return 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const SURFACES = ['bg', 'bg-elevated', 'bg-sidebar', 'bg-code'];
const TEXT = 4.5;
const UI = 3;

// [foreground, backgrounds, the ratio it needs]
const PAIRS: [string, string[], number][] = [
  ['text', [...SURFACES, 'bg-hover', 'bg-active', 'bg-user'], TEXT],
  ['text-muted', [...SURFACES, 'bg-hover'], TEXT], // secondary text, icon buttons, the sidebar's search
  ['text-faint', SURFACES, TEXT], // hints, dates, placeholders
  ['accent', ['bg', 'bg-elevated', 'accent-soft'], TEXT], // links, "Saved.", accent badges
  ['accent-text', ['accent', 'accent-hover'], TEXT], // primary buttons
  ['danger', ['bg', 'bg-elevated', 'danger-soft'], TEXT], // errors and alerts
  ['danger-text', ['danger'], TEXT], // the confirm-delete button
  ['bg', ['text'], TEXT], // the composer's stop button
  ...['hl-keyword', 'hl-string', 'hl-number', 'hl-comment', 'hl-title', 'hl-attr'].map(
    (name): [string, string[], number] => [name, ['bg-code'], TEXT],
  ),
  ['focus', ['bg', 'bg-elevated', 'bg-sidebar', 'bg-hover'], UI], // the focus outline
];

describe.each([
  ['light', ':root'],
  ['dark', ":root[data-theme='dark']"],
])('the %s theme', (_name, selector) => {
  const light = palette(':root');
  const colours = { ...light, ...palette(selector) };

  it('defines every colour the pairs name', () => {
    const names = PAIRS.flatMap(([fg, bgs]) => [fg, ...bgs]);
    expect(names.filter((name) => !(name in colours))).toEqual([]);
  });

  it.each(PAIRS)('%s reads on its backgrounds', (fg, backgrounds, needed) => {
    const failing = backgrounds
      .map((bg) => ({ bg, ratio: Math.round(contrast(colours[fg]!, colours[bg]!) * 100) / 100 }))
      .filter(({ ratio }) => ratio < needed);
    expect(failing).toEqual([]);
  });
});

describe('contrast', () => {
  it('matches the WCAG reference values', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});
