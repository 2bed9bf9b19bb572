import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// During `npm run dev` the functions, uploads and media are reached through the
// front door of a running stack (FRONT_URL, default the dev instance's port).
const frontDoor = process.env.FRONT_URL ?? `http://127.0.0.1:${process.env.FRONT_PORT ?? '8000'}`;

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
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
