/** The app's services, handed to components through Svelte context. */
import { getContext, setContext } from 'svelte'
import type { ConnectionState } from '../connection/connection-state.svelte.js'
import type { PeerConnector } from '../connection/peer-connector.js'
import type { ProjectList } from '../projects/project-list.svelte.js'
import type { ComputeHosting } from '../projects/compute-hosting.svelte.js'
import type { RelayHosting } from '../projects/relay-hosting.svelte.js'
import type { Router } from '../routing/router.svelte.js'
import type { Session } from './session.svelte.js'

export interface AppServices {
  readonly session: Session
  readonly projects: ProjectList
  readonly connector: PeerConnector
  readonly connections: ConnectionState
  readonly hosting: RelayHosting
  /** Asks projects' compute peers to serve them (A34). */
  readonly computeHosting: ComputeHosting
  readonly router: Router
}

const KEY = Symbol('quire-app')

export function setApp(app: AppServices): void {
  setContext(KEY, app)
}

export function getApp(): AppServices {
  const app = getContext<AppServices | undefined>(KEY)
  if (app === undefined) throw new Error('getApp() outside the app: the component must be inside App.svelte once the session is ready')
  return app
}
