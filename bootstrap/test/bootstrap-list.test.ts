import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bootstrapAddresses, jsonErrorOffset, lineAndColumn, loadBootstrapList } from '@quire/bootstrap'

const PEER = '12D3KooWEuN4jbkPKM3aHCL4FwCB1DVF38MU1CR8u6Jknvjnwhwo'

describe('the default bootstrap list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quire-list-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('ships a valid, empty list (there are no public relays yet)', () => {
    const list = loadBootstrapList()
    expect(list).toEqual({ version: 1, relays: [] })
    expect(bootstrapAddresses(list)).toEqual([])
  })

  it('reads relays and their addresses', () => {
    const path = write('good.json', JSON.stringify({ version: 1, relays: [{ name: 'Example', operator: 'ops@example.org', addresses: [`/dns4/quire.example.org/tcp/443/wss/p2p/${PEER}`, `/ip4/192.0.2.1/tcp/4001/p2p/${PEER}`] }] }, null, 2))
    expect(bootstrapAddresses(loadBootstrapList(path))).toEqual([`/dns4/quire.example.org/tcp/443/wss/p2p/${PEER}`, `/ip4/192.0.2.1/tcp/4001/p2p/${PEER}`])
  })

  it('names the line of a bad address, a missing operator and a bad version', () => {
    const bad = write('bad.json', `{\n  "version": 1,\n  "relays": [\n    {\n      "name": "A",\n      "operator": "a@example.org",\n      "addresses": [\n        "/dns4/a.example.org/tcp/443/wss"\n      ]\n    }\n  ]\n}\n`)
    expect(() => loadBootstrapList(bad)).toThrow(`bootstrap list ${bad}:8: relay "A": "/dns4/a.example.org/tcp/443/wss" is not a TCP or WebSocket multiaddr ending in /p2p/<peer id>`)
    const noOperator = write('no-operator.json', `{"version": 1, "relays": [\n{"name": "A", "operator": "x", "addresses": ["/ip4/192.0.2.1/tcp/4001/p2p/${PEER}"]},\n{"name": "B", "addresses": []}]}`)
    expect(() => loadBootstrapList(noOperator)).toThrow(`bootstrap list ${noOperator}:3: relay "B" needs an operator`)
    const version = write('version.json', '{\n"relays": [],\n"version": 2}')
    expect(() => loadBootstrapList(version)).toThrow(`bootstrap list ${version}:3: version must be 1, got 2`)
  })

  it('finds the line and column of JSON syntax errors V8 gives no position for', () => {
    const cases: Array<[string, number, number]> = [
      ['{"a": }', 1, 7],
      ['{\n  "a": 1,\n}', 3, 1],
      ['[1,\n 2\n 3]', 3, 2],
      ['{"a": "x\ny"}', 1, 9],
      ['{"a": tru}', 1, 7],
      ['{} x', 1, 4],
    ]
    for (const [text, line, column] of cases) {
      expect(() => JSON.parse(text)).toThrow()
      expect(lineAndColumn(text, jsonErrorOffset(text))).toEqual({ line, column })
    }
    for (const good of ['{"a": [1, -2.5e3, true, null, "\\u00e9\\n"]}', ' [] ', '"x"']) expect(jsonErrorOffset(good)).toBe(-1)
    const file = write('syntax.json', '{\n  "version": 1,\n  "relays": [,]\n}')
    expect(() => loadBootstrapList(file)).toThrow(`bootstrap list ${file}:3:14: not valid JSON`)
  })
})
