/**
 * Hash routes: `#/` (project list), `#/p/<projectId>`, `#/p/<projectId>/f/<fileId>` and
 * `#/p/<projectId>/t/<terminalId>` (a project, a file or a terminal in it), and `#invite=<token>` (an invite link, as `inviteToUrl` makes it). The fragment never reaches a
 * server, so neither an invite nor a project id is logged by the relay that serves the app.
 */
import { INVITE_FRAGMENT_PARAM } from '@quire/node'

export type Route =
  | { readonly page: 'projects' }
  | { readonly page: 'project'; readonly projectId: string; readonly fileId?: string; readonly terminalId?: string }
  | { readonly page: 'join'; readonly token: string }

const ID = /^[A-Za-z0-9]{10,64}$/

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '')
  if (h.startsWith(`${INVITE_FRAGMENT_PARAM}=`)) {
    const token = new URLSearchParams(h).get(INVITE_FRAGMENT_PARAM)
    if (token) return { page: 'join', token }
  }
  const parts = h.replace(/^\//, '').split('/').map((p) => decodeURIComponent(p))
  if (parts[0] === 'p' && parts[1] !== undefined && ID.test(parts[1])) {
    if (parts[2] === 'f' && parts[3] !== undefined && parts[3] !== '') return { page: 'project', projectId: parts[1], fileId: parts[3] }
    if (parts[2] === 't' && parts[3] !== undefined && /^[A-Za-z0-9]{1,64}$/.test(parts[3])) return { page: 'project', projectId: parts[1], terminalId: parts[3] }
    return { page: 'project', projectId: parts[1] }
  }
  return { page: 'projects' }
}

export function routeToHash(route: Route): string {
  switch (route.page) {
    case 'projects': return '#/'
    case 'join': return `#${INVITE_FRAGMENT_PARAM}=${route.token}`
    case 'project': return `#/p/${encodeURIComponent(route.projectId)}${route.fileId ? `/f/${encodeURIComponent(route.fileId)}` : route.terminalId ? `/t/${encodeURIComponent(route.terminalId)}` : ''}`
  }
}
