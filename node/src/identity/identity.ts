import { chmod, link, mkdir, open, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityError } from './errors.js'

/** File name of the key inside the data directory: the libp2p protobuf encoding of an Ed25519 key. */
export const IDENTITY_KEY_FILE = 'identity.key'

/**
 * Loads the node's Ed25519 key from `<dataDir>/identity.key`, creating it (mode 0600) on first start.
 * Refuses a key file that group or others can access, a corrupt one, or one of another key type.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, IDENTITY_KEY_FILE)
  const existing = await readKeyFile(path)
  if (existing) return existing
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  // Written under a temporary name, then linked into place: link fails if another process created the
  // key meanwhile, and then both use that one; a crash never leaves a half-written key under the real name.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(privateKeyToProtobuf(key))
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const winner = await readKeyFile(path)
    if (winner) return winner
  } finally {
    await rm(tmp, { force: true })
  }
  return key
}

async function readKeyFile(path: string): Promise<PrivateKey | undefined> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if ((mode & 0o077) !== 0) {
    throw new IdentityError('IDENTITY_KEY_PERMISSIONS',
      `${path} is accessible to other users (mode ${(mode & 0o777).toString(8)}), so the key may be known to them. ` +
      `If only you could have read it, run \`chmod 600 ${path}\`; otherwise delete it to get a new identity (a new peer ID).`)
  }
  const bytes = await readFile(path)
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityError('IDENTITY_KEY_CORRUPT',
      `${path} is not a valid libp2p private key (${(err as Error).message}). Restore it from a backup, or delete it to get a new identity (a new peer ID).`)
  }
  if (key.type !== 'Ed25519') {
    throw new IdentityError('IDENTITY_KEY_TYPE', `${path} holds a ${key.type} key; Quire identities are Ed25519. Delete it to get a new identity.`)
  }
  return key
}

/** Restricts an existing key file to its owner (mode 0600), for an operator who confirmed it was not exposed. */
export async function restrictIdentityFile(dataDir: string): Promise<void> {
  await chmod(join(dataDir, IDENTITY_KEY_FILE), 0o600)
}
