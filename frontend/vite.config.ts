import { fileURLToPath, URL } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The app is built into the Python package and served by `confide serve` under a strict CSP
// (script-src 'self'; style-src 'self'): nothing may be inlined into index.html, and CSS must
// come as files. Everything is bundled; the app never asks another origin for anything.
const outDir = fileURLToPath(new URL('../src/confide/static/app', import.meta.url));
const api = process.env.CONFIDE_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  // Tests that mount a component need Svelte's browser build (jsdom stands in for the page).
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    // No data: URIs for assets and no inline module-preload polyfill script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` next to `make run`: the API stays on its own server, same paths.
    proxy: {
      '/api': { target: api, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // contrast.test.ts reads app.css as text (?raw); other tests need no CSS.
    css: { include: [/app\.css/] },
  },
});
