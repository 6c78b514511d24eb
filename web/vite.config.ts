/**
 * The operator web app. `npm run build:web` writes `web/dist`, which the server serves at `/`;
 * `npm run dev:web` serves it with hot reload and proxies the API to a running server
 * (`API_ORIGIN`, default http://127.0.0.1:3000).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const apiOrigin = process.env.API_ORIGIN ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': apiOrigin,
      '/docs': apiOrigin,
      '/health': apiOrigin,
      '/metrics': apiOrigin,
      '/openapi.json': apiOrigin,
    },
  },
});
