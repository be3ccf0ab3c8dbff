/**
 * Roles and what each allows. A peer may hold several roles (a writer that is also the project's compute
 * peer); the owner is always an admin.
 */

/** A role a grant gives. */
export type Role = 'admin' | 'writer' | 'reader' | 'compute' | 'relay'

export const ROLES: readonly Role[] = ['admin', 'writer', 'reader', 'compute', 'relay']

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

/**
 * What each role may do. `compute` peers read the project and write results into its documents; `relay`
 * peers hold and serve a replica but author nothing; only admins (and the owner) change membership.
 */
export const ROLE_CAPABILITIES: Readonly<Record<Role, { read: boolean; write: boolean; admin: boolean; compute: boolean; host: boolean }>> = {
  admin: { read: true, write: true, admin: true, compute: false, host: false },
  writer: { read: true, write: true, admin: false, compute: false, host: false },
  reader: { read: true, write: false, admin: false, compute: false, host: false },
  compute: { read: true, write: true, admin: false, compute: true, host: false },
  relay: { read: true, write: false, admin: false, compute: false, host: true },
}
