import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

/** Namespace hashed in front of the project id, so a project key never collides with another use of the DHT. */
export const PROJECT_KEY_NAMESPACE = '/quire/project/v1/'

const RAW_CODEC = 0x55

/** The DHT key of a project: CIDv1 (raw) of sha-256 of `PROJECT_KEY_NAMESPACE + projectId`. */
export async function projectKey(projectId: string): Promise<CID> {
  if (projectId.length === 0) throw new DiscoveryError('PROJECT_ID_INVALID', 'the project id is empty')
  const digest = await sha256.digest(new TextEncoder().encode(PROJECT_KEY_NAMESPACE + projectId))
  return CID.createV1(RAW_CODEC, digest)
}

/** A discovery call that cannot proceed; `code` is stable. */
export class DiscoveryError extends Error {
  readonly code: 'PROJECT_ID_INVALID'
  constructor(code: DiscoveryError['code'], message: string) {
    super(message)
    this.name = 'DiscoveryError'
    this.code = code
  }
}
