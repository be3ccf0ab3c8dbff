import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { isLibp2pStreamRace } from './node/src/libp2p/crash-guard.js'

const root = fileURLToPath(new URL('.', import.meta.url))
const packages = ['crdt', 'node', 'relay', 'compute-peer', 'web', 'bootstrap']

// Tests run against each package's TypeScript source, through the `quire-source` entries of its exports
// map, so a test never sees a stale dist/. Tests that spawn daemons as processes use the built dist/.
const alias = packages.flatMap((pkg) => {
  const manifestPath = join(root, pkg, 'package.json')
  if (!existsSync(manifestPath)) return []
  const exportsMap = JSON.parse(readFileSync(manifestPath, 'utf8')).exports ?? {}
  return Object.entries(exportsMap as Record<string, Record<string, string>>)
    .filter(([, conditions]) => conditions['quire-source'])
    .map(([sub, conditions]) => ({
      find: new RegExp(`^@quire/${pkg}${sub === '.' ? '' : sub.slice(1)}$`),
      replacement: join(root, pkg, conditions['quire-source']!),
    }))
})

const long = process.env.QUIRE_LONG === '1'

export default defineConfig({
  resolve: { alias },
  test: {
    // Two projects with the settings below: the packages as they always ran, and the web app, whose state
    // classes (`.svelte.ts`, runes) need the Svelte compiler and Svelte's browser runtime.
    projects: [
      { extends: true, test: { name: 'packages', include: ['{crdt,node,relay,compute-peer,bootstrap,scripts}/test/**/*.test.ts'] } },
      {
        extends: true,
        plugins: [svelte({ configFile: false })],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'web',
          include: ['web/test/**/*.test.ts'],
          // Components mount into happy-dom; tests that run libp2p or drive Chromium ask for `node` in a
          // `@vitest-environment` comment.
          environment: 'happy-dom',
          // Tests talk only to loopback: never let the DOM fetch an <iframe>, script or stylesheet it parses.
          environmentOptions: {
            happyDOM: {
              settings: {
                disableJavaScriptFileLoading: true,
                disableCSSFileLoading: true,
                disableIframePageLoading: true,
                navigation: { disableMainFrameNavigation: true, disableChildFrameNavigation: true, disableChildPageNavigation: true },
              },
            },
          },
        },
      },
    ],
    testTimeout: long ? 600_000 : 60_000,
    hookTimeout: 120_000,
    // Real processes, sockets and disks: two cores are shared between files.
    fileParallelism: true,
    maxWorkers: 2,
    // Daemons absorb this known js-libp2p race with installCrashGuard (see crash-guard.ts); tests that run
    // libp2p nodes in the test process get the same treatment, and anything else unhandled still fails.
    onUnhandledError: (error) => (isLibp2pStreamRace(error) ? false : undefined),
  },
})
