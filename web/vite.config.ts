import { defineConfig } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// The app is served by a relay (its --static-root) or by `vite dev`; every path is relative so the same
// build works under any prefix.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: {
    // Automerge's wasm loader uses top-level await, which es2022 has; no plugin needed.
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
  },
  // The dev server's dependency pre-bundling breaks Automerge's wasm import.
  optimizeDeps: { exclude: ['@automerge/automerge'] },
})
