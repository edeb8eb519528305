// LaTeX math: recognized by marked extensions, rendered by KaTeX as MathML (no inline styles,
// no fonts: Chromium and Firefox render MathML natively). KaTeX is a separate chunk, loaded
// only once a message contains math.
import type { TokenizerAndRendererExtension } from 'marked';
import { escapeHtml } from './escape';

type Katex = typeof import('katex').default;
let katex: Katex | null = null;
let loading: Promise<Katex> | null = null;

// Runs in the reader's own tab on one message; anchored pieces keep backtracking linear.
// eslint-disable-next-line security/detect-unsafe-regex
const MATH_HINT = /\$\$[\s\S]+?\$\$|\\\[[\s\S]+?\\\]|\\\([\s\S]+?\\\)|(^|[^\\$\w])\$[^\s$](?:[^$\n]*[^\s$])?\$(?![\w$])/;

/** True when the text seems to hold math worth loading KaTeX for. */
export function hasMath(text: string): boolean {
  return MATH_HINT.test(text);
}

export function mathReady(): boolean {
  return katex !== null;
}

/** Loads KaTeX once; resolves when math can be rendered. */
export function loadMath(): Promise<Katex> {
  loading ??= import('katex').then((module) => {
    katex = module.default;
    return katex;
  });
  return loading;
}

/** For tests and callers that already hold the module. */
export function useKatex(module: Katex): void {
  katex = module;
}

function renderTex(tex: string, displayMode: boolean): string {
  if (!katex) {
    const tag = displayMode ? 'div' : 'span';
    return `<${tag} class="math-pending">${escapeHtml(tex)}</${tag}>`;
  }
  const html = katex.renderToString(tex, {
    output: 'mathml',
    displayMode,
    throwOnError: false,
    trust: false,
    strict: 'ignore',
    maxSize: 50,
    maxExpand: 500,
  });
  return displayMode ? `<div class="math-block">${html}</div>` : html;
}

interface MathToken {
  type: 'mathBlock' | 'mathInline';
  raw: string;
  tex: string;
}

const BLOCK = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
// eslint-disable-next-line security/detect-unsafe-regex -- anchored at ^, lazy, single line
const INLINE = /^(?:\$\$([\s\S]+?)\$\$|\\\(([\s\S]+?)\\\)|\$([^\s$](?:[^$\n]*?[^\s$\\])?)\$(?![\w$]))/;

export const mathExtensions: TokenizerAndRendererExtension[] = [
  {
    name: 'mathBlock',
    level: 'block',
    start: (src: string) => src.match(/\$\$|\\\[/)?.index,
    tokenizer(src: string) {
      const match = BLOCK.exec(src);
      if (!match) return undefined;
      return { type: 'mathBlock', raw: match[0], tex: (match[1] ?? match[2] ?? '').trim() };
    },
    renderer: (token) => renderTex((token as unknown as MathToken).tex, true),
  },
  {
    name: 'mathInline',
    level: 'inline',
    start: (src: string) => src.match(/\$|\\\(/)?.index,
    tokenizer(src: string) {
      const match = INLINE.exec(src);
      if (!match) return undefined;
      const display = match[1] !== undefined;
      const tex = (match[1] ?? match[2] ?? match[3] ?? '').trim();
      return { type: 'mathInline', raw: match[0], tex, display };
    },
    renderer: (token) => {
      const math = token as unknown as MathToken & { display: boolean };
      return renderTex(math.tex, math.display);
    },
  },
];
