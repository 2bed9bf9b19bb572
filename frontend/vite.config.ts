import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Stamps the service worker with this build's id and its list of built files, so each deploy installs a
 * fresh shell cache holding every page's code (lazy chunks too) and drops the previous one.
 */
function serviceWorkerManifest(): Plugin {
  let files: string[] = [];
  let outDir = 'dist';
  return {
    name: 'flmnchll-sw-manifest',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    generateBundle(_options, bundle) {
      files = Object.keys(bundle)
        .filter((name) => name.startsWith('assets/') && !name.endsWith('.map'))
        .map((name) => `/${name}`)
        .sort();
    },
    writeBundle() {
      const path = join(outDir, 'sw.js');
      const source = readFileSync(path, 'utf8');
      const build = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      writeFileSync(
        path,
        source
          .replace("const BUILD = 'dev';", `const BUILD = '${build}';`)
          .replace('const ASSETS = [];', `const ASSETS = ${JSON.stringify(files)};`),
      );
    },
  };
}

// During `npm run dev` the functions, uploads and media are reached through the
// front door of a running stack (FRONT_URL, default the dev instance's port).
const frontDoor = process.env.FRONT_URL ?? `http://127.0.0.1:${process.env.FRONT_PORT ?? '8000'}`;

export default defineConfig({
  plugins: [react(), serviceWorkerManifest()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // Timing hints are noise on a busy build machine.
    rolldownOptions: { checks: { bundlerTimings: false, pluginTimings: false } },
  },
  server: {
    proxy: {
      '/function': frontDoor,
      '/uploads': frontDoor,
      '/media': frontDoor,
      '/peerjs': { target: frontDoor, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
