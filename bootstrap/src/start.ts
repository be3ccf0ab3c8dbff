/**
 * `npm start`: the one-command local network (relay serving the web app, plus a compute peer).
 *
 * The relay and compute peer do not exist yet, so this says what it will do and exits non-zero instead of
 * pretending to start something.
 */
const plan = [
  'start a relay on 127.0.0.1 (TCP and WebSocket; the WebSocket port also serves the web app)',
  'start a compute peer that joins through that relay and serves projects created locally',
  'keep data and identities under .quire/ in this directory, reused by the next start',
  'print the URL to open, and stop every process it started on Ctrl-C',
]

console.error('Quire local network: not available yet.')
console.error('When the relay, compute peer and web app land, `npm start` will:')
for (const step of plan) console.error(`  - ${step}`)
console.error('Until then, `npm test` runs everything that exists.')
process.exit(1)
