/** Starting the app: bootstrap config, session, project list, connector. Used by App.svelte. */
import { ConnectionState } from '../connection/connection-state.svelte.js'
import { PeerConnector } from '../connection/peer-connector.js'
import { ProjectList } from '../projects/project-list.svelte.js'
import { ComputeHosting } from '../projects/compute-hosting.svelte.js'
import { RelayHosting } from '../projects/relay-hosting.svelte.js'
import { Router } from '../routing/router.svelte.js'
import { loadBootstrapConfig } from './bootstrap-config.js'
import { DirectLinks } from './direct-links.js'
import { enableOfflineApp } from './offline-cache.js'
import { browserPlatform } from './browser-platform.js'
import type { AppServices } from './context.js'
import { Session } from './session.svelte.js'

/** Whether loopback dialing is allowed: on when the app itself is served from this machine. */
export function isLocalOrigin(location: { hostname: string }): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(location.hostname)
}

export async function bootApp(win: Window = window): Promise<{ session: Session; app?: AppServices }> {
  const bootstrap = await loadBootstrapConfig(win.location)
  const profileName = new URL(win.location.href).searchParams.get('profile') ?? 'quire'
  const session = new Session({ platform: browserPlatform(profileName), bootstrap, allowLoopback: isLocalOrigin(win.location) })
  await session.start()
  if (session.phase !== 'ready') return { session }
  // Now that the page has loaded everything it needs (the wasm, /quire.json), keep it for offline starts.
  void enableOfflineApp(win)
  const projects = new ProjectList(session)
  await projects.load()
  const connector = new PeerConnector(session.node, () => session.bootstrap.relays)
  connector.start()
  // Closes duplicate and dead direct links; the connector dials a peer left without one again.
  const links = new DirectLinks(session.node, () => session.relayPeerIds)
  links.start()
  const connections = new ConnectionState(session.node, () => session.relayPeerIds)
  const hosting = new RelayHosting(session, () => projects.entries.map((e) => e.id))
  const computeHosting = new ComputeHosting(session, () => projects.entries.map((e) => e.id))
  projects.onCreated = (id) => Promise.all([hosting.ensure(id), computeHosting.ensure(id)])
  hosting.start()
  computeHosting.start()
  win.addEventListener('online', () => { session.reconnect(); connector.retryNow() })
  // Tests and the curious reach the session from the console.
  ;(win as unknown as { quire?: unknown }).quire = { session, projects, connector, links, connections, hosting, computeHosting }
  return { session, app: { session, projects, connector, connections, hosting, computeHosting, router: new Router(win) } }
}
