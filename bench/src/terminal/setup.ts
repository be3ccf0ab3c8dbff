/**
 * The `terminal` benchmark's world, on loopback: a relay (`quire-relay`) and a compute peer (`quire-compute`,
 * real sandbox, `bash -l`) in child processes, two project members in this process (one reaches the compute
 * peer over a direct TCP connection, the other only through the relay, over a circuit-relayed connection), and
 * the stock terminal server (stock-server-main.ts) in a child process of its own. Set up as compute-peer's
 * terminal tests do (test/terminal/harness.ts, relayed.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { appendGrantEntries } from '@quire/crdt'
import {
  ProjectIndex, PtyProtocolError, accessShareConfig, createProjectWithGrants, createQuireNode, createQuireRepo, listTerminals, signGrant,
  type CreatedProject, type QuireNode, type QuireRepo, type Role,
} from '@quire/node'
import { startProcess, type PeerProcess } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { startComputeProcess, type ComputeProcessInfo } from '@quire/compute-peer/testing'
import { sleep } from '../lib/proc.js'

const stockServerScript = fileURLToPath(new URL('./stock-server-main.js', import.meta.url))

export interface TerminalWorld {
  readonly projectId: string
  /** The owner: a direct connection to the compute peer. */
  readonly direct: QuireNode
  /** A writer that reaches the compute peer only through the relay. */
  readonly relayed: QuireNode
  readonly computeDirect: Multiaddr
  readonly computeCircuit: Multiaddr
  readonly compute: { proc: PeerProcess; info: ComputeProcessInfo }
  /** The terminals' working directory on the compute peer (the project's workspace). */
  readonly workdir: string
  /** The stock server's ws:// URL (append /<terminal name>) and its working directory. */
  readonly stockUrl: string
  readonly stockPid: number
  readonly stockDir: string
  /** Whether every connection of `relayed` to the compute peer is limited (relayed), as the path claims. */
  relayedIsRelayed(): boolean
  stop(): Promise<void>
}

async function member(key: PrivateKey): Promise<{ node: QuireNode; q: QuireRepo; index: ProjectIndex }> {
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  return { node, q, index }
}

export async function startTerminalWorld(): Promise<TerminalWorld> {
  const ownerKey = await generateKeyPair('Ed25519')
  const owner = await member(ownerKey)
  const relayedNode = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  const dirs: string[] = []
  const procs: PeerProcess[] = []
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await p.stop(30_000).catch(() => undefined)
    owner.index.stop()
    await owner.q.stop()
    await owner.node.stop()
    await relayedNode.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
  try {
    const project: CreatedProject = await createProjectWithGrants(owner.q.repo, { name: 'Terminal bench', owner: ownerKey, index: owner.index })
    const grant = async (subject: string, role: Role): Promise<void> => {
      const g = await signGrant(ownerKey, { project: project.id, subject, role })
      project.grants.change((d) => { appendGrantEntries(d, [g]) })
      await owner.index.settled()
    }
    const relayDir = await mkdtemp(join(tmpdir(), 'quire-bench-pty-relay-'))
    const computeDir = await mkdtemp(join(tmpdir(), 'quire-bench-pty-compute-'))
    const stockDir = await mkdtemp(join(tmpdir(), 'quire-bench-pty-stock-'))
    dirs.push(relayDir, computeDir, stockDir)
    const relay: RelayProcess = await startRelayProcess(['--data-dir', relayDir, '--allow-project', project.id], { name: 'relay', readyTimeout: 60_000 })
    procs.push(relay.proc)
    await grant(relay.info.peerId, 'relay')
    await owner.node.dial(multiaddr(relay.tcpAddress))
    const compute = await startComputeProcess(['--data-dir', computeDir, '--bootstrap', relay.tcpAddress, '--project', `${project.id}@${owner.node.peerId.toString()}`])
    procs.push(compute.proc)
    await grant(compute.info.peerId, 'compute')
    await grant(relayedNode.peerId.toString(), 'writer')
    const circuit = compute.info.addresses.find((a) => a.includes('/p2p-circuit'))
    const direct = compute.info.addresses.find((a) => !a.includes('/p2p-circuit'))
    if (circuit === undefined || direct === undefined) throw new Error(`the compute peer reported no ${circuit === undefined ? 'relayed' : 'direct'} address: ${compute.info.addresses.join(', ')}`)
    await owner.node.dial(multiaddr(direct))
    const stock = await startProcess(stockServerScript, { name: 'stock-terminal-server', args: [stockDir], readyTimeout: 30_000 })
    procs.push(stock)
    // Served once the compute peer has the project and its grants (until then PTY_NOT_SERVED or, for the
    // relayed writer whose grant is on its way, PTY_NOT_A_MEMBER). A first dial through the relay can also
    // fail while the machine is loaded (a reset during the relayed connection's encryption): retried too.
    const deadline = Date.now() + 120_000
    for (const [node, target] of [[owner.node, multiaddr(direct)], [relayedNode, multiaddr(circuit)]] as const) {
      for (;;) {
        try {
          await listTerminals(node, target, project.id)
          break
        } catch (err) {
          if (Date.now() > deadline) throw err
          if (!(err instanceof PtyProtocolError)) console.error(`[bench] terminal: retrying ${target.toString()} after ${(err as Error).message}`)
          await sleep(250)
        }
      }
    }
    const computePeer = compute.info.peerId
    return {
      projectId: project.id, direct: owner.node, relayed: relayedNode,
      computeDirect: multiaddr(direct), computeCircuit: multiaddr(circuit), compute,
      workdir: join(computeDir, 'projects', project.id),
      stockUrl: stock.info.addresses[0]!, stockPid: stock.pid, stockDir,
      relayedIsRelayed: () => {
        const cs = relayedNode.getConnections().filter((c) => c.remotePeer.toString() === computePeer)
        return cs.length > 0 && cs.every((c) => c.limits !== undefined || c.remoteAddr.toString().includes('/p2p-circuit'))
      },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
