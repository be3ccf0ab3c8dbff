/**
 * Starts a compute peer: a libp2p node (role compute), a Repo over LevelDB in the data directory with read
 * enforcement from the projects' grants, the blob service (outputs' images are fetched from here), a kernel
 * launcher, and one `ProjectExecutor` per project: those configured with `--project`, and those an admin
 * asked it to serve over `/quire/host/1.0.0` (A34, remembered across restarts).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { interpretAsDocumentId, type AnyDocumentId, type DocumentId, type Repo } from '@automerge/automerge-repo'
import { LevelStorageAdapter, type ComputeOffer } from '@quire/crdt'
import { multiaddr } from '@multiformats/multiaddr'
import { BlobService, BlobStore, ProjectIndex, isEd25519PeerId, accessShareConfig, accessWriteFilter, createQuireRepo, loadOrCreateIdentity, serveHostingRequests } from '@quire/node'
import type { ComputeConfig } from '../config/compute-config.js'
import { ComputeError } from '../errors.js'
import { KernelSlots } from '../executor/kernel-slots.js'
import { ProjectExecutor } from '../executor/project-executor.js'
import type { ExecutorEnvironment } from '../executor/types.js'
import { createKernelLauncher } from '../kernel/launcher.js'
import { probeSandboxHost } from '../sandbox/capabilities.js'
import { resolveSandboxUser } from '../sandbox/sandbox-user.js'
import { runnerAccess } from '../workspace/runner/access.js'
import { workspaceService } from '../workspace/runner/service.js'
import type { WorkspaceBlobs, WorkspaceLimits, WorkspaceTiming } from '../workspace/types.js'
import { ComputeHosting } from '../projects/compute-hosting.js'
import { servePty, terminalService, TerminalRegistry } from '../terminal/index.js'
import { detectSnapshotDriver, prepareSubvolume, serveSnapshots, snapshotService, type ProjectSnapshots, type SnapshotPolicy } from '../snapshots/index.js'
import { BuildSlots, latexService, probeLatex, type LatexAvailability } from '../latex/index.js'
import { replicaAccess } from '../snapshots/replication/access.js'
import { replicationService, serveReplicas } from '../snapshots/replication/index.js'
import { startComputeNode } from './compute-node.js'
import type { KernelLauncher, KernelSpecInfo, SandboxCapabilities } from '../kernel/types.js'

/** Options of {@link startComputePeer} that are not configuration. */
export interface StartComputePeerOptions {
  /** Where log lines go. Default: stderr. */
  readonly log?: (line: string) => void
  /** A kernel launcher to use instead of the real one (tests). */
  readonly launcher?: KernelLauncher
  /** The workspace's limits and timing (tests shorten them). */
  readonly workspace?: { readonly limits?: Partial<WorkspaceLimits>; readonly timing?: Partial<WorkspaceTiming> }
  /** Terminals: the shell (default `/bin/bash -l`) and how long one nobody views lives (default the kernels' idle timeout). */
  readonly terminals?: { readonly shell?: readonly string[]; readonly idleMs?: number }
  /** Snapshot policy beyond the configuration (the retention ladder; short intervals in tests). */
  readonly snapshots?: Partial<SnapshotPolicy>
  /** How often a served project's new snapshots are pushed to its standbys, ms (default 60 s; tests shorten it). */
  readonly replicaPushMs?: number
}

/** A running compute peer. */
export interface ComputePeerHandle {
  readonly peerId: string
  /** Listen multiaddrs now (a relay reservation's `/p2p-circuit` address included), each ending in `/p2p/<peer id>`. */
  readonly addresses: string[]
  readonly repo: Repo
  readonly capabilities: SandboxCapabilities
  readonly kernels: readonly KernelSpecInfo[]
  /** Whether LaTeX builds can run here (latexmk and which engines), with a line for the banner. */
  readonly latex: LatexAvailability
  readonly projects: ReadonlyMap<DocumentId, ProjectExecutor>
  /** Shuts every kernel down, marks running cells, writes documents to disk and closes everything. Idempotent. */
  stop(): Promise<void>
}

/** Starts a compute peer as configured; resolves once it listens. */
export async function startComputePeer(config: ComputeConfig, options: StartComputePeerOptions = {}): Promise<ComputePeerHandle> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'))
  const onlineSince = Date.now()
  const projects = config.projects.map(parseProject)
  const relays = config.bootstrap.flatMap((a) => multiaddr(a).getComponents().filter((c) => c.name === 'p2p').map((c) => c.value)).filter((id): id is string => id !== undefined)
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new ComputeError('COMPUTE_DATA_DIR_UNAVAILABLE', `cannot create the data directory ${config.dataDir} (${(err as Error).message}); choose another with --data-dir`, { cause: err })
  }
  const privateKey = await loadOrCreateIdentity(config.dataDir)
  const db = new ClassicLevel<string, Uint8Array>(join(config.dataDir, 'db'))
  try {
    await db.open()
  } catch (err) {
    const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
    throw new ComputeError('COMPUTE_DATA_DIR_UNAVAILABLE', locked
      ? `the database in ${config.dataDir} is in use by another process (is another compute peer running on this data directory?)`
      : `cannot open the database in ${config.dataDir} (${(err as Error).message})`, { cause: err })
  }
  const cleanup: Array<() => Promise<void> | void> = [() => db.close()]
  const undo = async (): Promise<void> => {
    for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => {})
  }
  try {
    // One probe of the host for everything run in the sandbox: kernels and the workspace runners (S5).
    const sandboxUser = await resolveSandboxUser(config.sandboxUser)
    const host = await probeSandboxHost(sandboxUser ? { user: sandboxUser } : {})
    if (sandboxUser !== undefined) log(`[quire-compute] started as root: code and the workspace run as the unprivileged user ${sandboxUser.name} (uid ${sandboxUser.uid})`)
    const launcher = options.launcher ?? await createKernelLauncher({ stateDir: config.dataDir, unsafeNoSandbox: config.unsafeNoSandbox, host })
    cleanup.push(() => launcher.stopAll())
    const kernels = await launcher.specs()
    const latex = await probeLatex()
    const index = new ProjectIndex({ onProblem: (p) => log(`[quire-compute] ${p.code} in ${p.project}: ${p.message}`) })
    cleanup.push(() => index.stop())
    const node = await startComputeNode(config, privateKey, (line) => log(`[quire-compute] ${line}`))
    cleanup.push(() => node.stop())
    const executors = new Map<DocumentId, ProjectExecutor>()
    const peerId = node.peerId.toString()
    const store = new BlobStore(db, { sublevel: 'blobs' })
    // Any member of a project this peer serves may fetch output images; nobody may push blobs here.
    const blobs = new BlobService({
      libp2p: node, store,
      authorize: async (peer, _hash, op) => op === 'get' && (await Promise.all([...executors.keys()].map((p) => index.canRead(p, peer, Date.now())))).some(Boolean),
    })
    await blobs.start()
    cleanup.push(() => blobs.stop())
    const storage = new LevelStorageAdapter(db, { sublevel: 'docs', sync: true, closeDatabase: false })
    const members = accessShareConfig({ index, log: (r) => log(`[quire-compute] ${r.code}: refused document ${r.documentId} to peer ${r.peer}`) })
    // Each served project's workspace runner is a local peer of this repo (W31): it sees its project's documents only.
    const runners = new Map<string, DocumentId>()
    const runnerMay = runnerAccess(index, runners)
    const q = await createQuireRepo({
      libp2p: node, storage,
      shareConfig: {
        announce: async (peer, id) => (id !== undefined ? runnerMay(peer, id) : undefined) ?? members.announce(peer, id),
        access: async (peer, id) => runnerMay(peer, id) ?? members.access(peer, id),
      },
      // A29: changes from peers without a write grant never reach our documents, so a reader cannot queue a
      // cell here; the executor's own writer check on `requestedBy` (A32) is the second line.
      wrapNetwork: [accessWriteFilter({ index, log: (d) => log(`[quire-compute] ${d.code}: dropped ${d.changes} changes to ${d.documentId} from ${d.peer} (no write grant in project ${d.project})`) })],
      log: (e) => log(`[quire-compute] ${e.code} from ${e.peer}: ${e.message}`),
    })
    cleanup.push(() => q.stop())
    await index.attach(q.repo)

    const offer = (): ComputeOffer => ({
      peer: peerId,
      kernels: kernels.map((k) => ({ name: k.name, displayName: k.displayName, language: k.language })),
      limits: { ...config.limits },
      network: config.allowNetwork,
      notes: [...launcher.capabilities.notes],
      onlineSince,
      updatedAt: Date.now(),
    })
    const env: ExecutorEnvironment = {
      peerId, launcher, blobs: store, slots: new KernelSlots(config.maxKernels),
      limits: config.limits, idleTimeoutMs: config.idleTimeoutMs, offer,
      log: (line) => log(`[quire-compute] ${line}`),
    }
    const terminals = new TerminalRegistry()
    // Workspaces are BTRFS subvolumes where the data directory is on BTRFS, so they can be snapshotted (N1).
    const workRoot = join(config.dataDir, 'projects')
    await mkdir(workRoot, { recursive: true, mode: 0o700 })
    const snapshotDriver = await detectSnapshotDriver(workRoot)
    log(`[quire-compute] snapshots: ${snapshotDriver.reason}`)
    const prepareWorkdir = snapshotDriver.kind === 'btrfs' ? (dir: string) => prepareSubvolume(dir, (line) => log(`[quire-compute] ${line}`)) : undefined
    const snapshots = new Map<DocumentId, ProjectSnapshots>()
    // Snapshots go to the project's other compute peers, its standbys, and come from the one serving it (N19).
    const replicaRoot = join(config.dataDir, 'replicas')
    const replicas = replicaAccess(index, (id) => executors.get(id as DocumentId)?.serving === true)
    const services = [workspaceService({
      host, blobs: workspaceBlobs(store, blobs, node, index, () => [...executors.keys()]), runners,
      ...(config.unsafeNoSandbox && { unsafeNoSandbox: true }),
      ...options.workspace,
    }), terminalService({
      host, registry: terminals, limits: config.limits, idleMs: options.terminals?.idleMs ?? config.idleTimeoutMs,
      ...(options.terminals?.shell !== undefined && { shell: options.terminals.shell }),
      ...(config.unsafeNoSandbox && { unsafeNoSandbox: true }),
    }), latexService({
      peerId, host, availability: latex, blobs: store, slots: new BuildSlots(2),
      limits: {
        ...(config.limits.memoryBytes !== undefined && { memoryBytes: config.limits.memoryBytes }),
        ...(config.limits.processes !== undefined && { processes: config.limits.processes }),
        ...(config.limits.cpuCores !== undefined && { cpuCores: config.limits.cpuCores }),
        fileSizeBytes: config.latex?.fileSizeBytes ?? 256 * 1024 * 1024,
      },
      softTimeoutMs: config.latex?.timeoutMs ?? 60_000,
      hardTimeoutMs: config.latex?.killMs ?? 240_000,
      diskWaitMs: 30_000,
      writerGraceMs: 10_000,
      ...(config.unsafeNoSandbox && { unsafeNoSandbox: true }),
    }), snapshotService({ kind: snapshotDriver.kind, policy: { ...config.snapshots, ...options.snapshots }, registry: snapshots }),
    replicationService({ libp2p: node, access: replicas, registry: snapshots, root: replicaRoot, ...((options.replicaPushMs ?? config.replicaPushMs) !== undefined && { pushIntervalMs: (options.replicaPushMs ?? config.replicaPushMs)! }) })]
    // One handler for every project's terminals (T3): it finds the project's terminal service by id.
    const pty = await servePty({ libp2p: node, registry: terminals, log: (line) => log(`[quire-compute] ${line}`) })
    cleanup.push(() => pty.stop())
    let stopping: Promise<void> | undefined
    const serve = async (id: DocumentId, owner: string | undefined): Promise<void> => {
      if (executors.has(id) || stopping !== undefined) return
      const executor = new ProjectExecutor({
        repo: q.repo, index, project: id, env, workRoot, networkAllowed: config.allowNetwork,
        ...(prepareWorkdir !== undefined && { prepareWorkdir }),
        services, stateRoot: join(config.dataDir, 'services'),
        provisionalReaders: owner === undefined ? relays : [owner, ...relays],
        ...(owner !== undefined && { owner }),
      })
      executors.set(id, executor)
      await executor.start()
    }
    for (const { id, owner } of projects) await serve(id, owner)
    const hosting = await ComputeHosting.open({
      db, repo: q.repo, index, self: peerId,
      serving: (id) => executors.has(id),
      serve,
      log: (line) => log(`[quire-compute] ${line}`),
    })
    for (const { project, owner } of hosting.accepted) await serve(project, owner)
    const hostService = await serveHostingRequests({ libp2p: node, handle: (request, from) => hosting.register(request, from) })
    cleanup.push(() => hostService.stop())
    const snapshotServer = await serveSnapshots({ libp2p: node, registry: snapshots, log: (line) => log(`[quire-compute] ${line}`) })
    cleanup.push(() => snapshotServer.stop())
    const replicaServer = await serveReplicas({
      libp2p: node, access: replicas, root: replicaRoot, kind: snapshotDriver.kind, log: (line) => log(`[quire-compute] ${line}`),
      // The documents a replica's heads name are fetched too, so a takeover finds them here (N27).
      onReceived: (_project, info) => { for (const id of Object.keys(info.heads ?? {})) void q.repo.find(id as DocumentId, { allowableStates: ['ready', 'unavailable'] }).catch(() => undefined) },
    })
    cleanup.push(() => replicaServer.stop())

    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await hostService.stop().catch(() => {})
        await pty.stop().catch(() => {})
        await Promise.all([...executors.values()].map((p) => p.stop().catch((err: unknown) => log(`[quire-compute] stopping a project: ${(err as Error).message}`))))
        await launcher.stopAll().catch(() => {})
        const ready = Object.values(q.repo.handles).filter((h) => h.isReady()).map((h) => h.documentId)
        await q.repo.flush(ready).catch((err: unknown) => log(`[quire-compute] writing documents on stop: ${(err as Error).message}`))
        // automerge-repo saves on a 100 ms throttle; let pending saves run before the database closes.
        await q.stop().catch(() => {})
        await new Promise((r) => setTimeout(r, 150))
        await undo()
      })()
      return stopping
    }
    return {
      peerId,
      get addresses() { return node.getMultiaddrs().map((a) => a.toString()) },
      repo: q.repo,
      capabilities: launcher.capabilities,
      kernels,
      latex,
      projects: executors,
      stop,
    }
  } catch (err) {
    await undo()
    throw err
  }
}

/** `<project id or url>[@<owner peer id>]`. */
function parseProject(entry: string): { id: DocumentId; owner?: string } {
  const at = entry.lastIndexOf('@')
  const project = at >= 0 ? entry.slice(0, at) : entry
  const owner = at >= 0 ? entry.slice(at + 1) : undefined
  if (owner !== undefined && !isEd25519PeerId(owner)) {
    throw new ComputeError('COMPUTE_CONFIG_INVALID', `project ${JSON.stringify(entry)}: after "@" comes the owner's peer id (12D3KooW...), got ${JSON.stringify(owner)}`)
  }
  try {
    return { id: interpretAsDocumentId(project as AnyDocumentId), ...(owner !== undefined && { owner }) }
  } catch {
    throw new ComputeError('COMPUTE_CONFIG_INVALID', `${JSON.stringify(project)} is not a project id or automerge: URL; copy it from the project's settings in the web app`)
  }
}

/**
 * The blobs a workspace runner reads and stores: this peer's blob store; a blob it lacks is fetched from a
 * connected peer that is a member of a project served here (the member whose file entry names it has it).
 */
function workspaceBlobs(store: BlobStore, service: BlobService, node: { getConnections(): Array<{ remotePeer: { toString(): string } & Parameters<BlobService['fetch']>[0] }> }, index: ProjectIndex, served: () => DocumentId[]): WorkspaceBlobs {
  return {
    get: (hash) => store.get(hash),
    put: (bytes) => store.put(bytes),
    async fetch(hash, signal) {
      const seen = new Set<string>()
      for (const { remotePeer } of node.getConnections()) {
        const id = remotePeer.toString()
        if (seen.has(id) || signal.aborted) continue
        seen.add(id)
        const member = (await Promise.all(served().map((p) => index.canRead(p, id, Date.now())))).some(Boolean)
        if (!member) continue
        const bytes = await service.fetch(remotePeer, hash, { signal }).catch(() => undefined)
        if (bytes !== undefined) {
          await store.put(bytes, hash).catch(() => undefined)
          return bytes
        }
      }
      return undefined
    },
  }
}
