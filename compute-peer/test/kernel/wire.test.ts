import { describe, expect, it } from 'vitest'
import { MessageCodec } from '../../src/kernel/wire.js'

describe('Jupyter wire format (messaging protocol 5.3)', () => {
  const codec = new MessageCodec('secret-key')

  it('round-trips a signed message, with routing identities before the delimiter', () => {
    const message = codec.create('execute_request', { code: '1+1' })
    const frames = [Buffer.from('identity'), ...codec.encode(message)]
    expect(frames[1]!.toString()).toBe('<IDS|MSG>')
    expect(frames[2]!.toString()).toMatch(/^[0-9a-f]{64}$/)
    const decoded = codec.decode(frames)
    expect(decoded?.header).toEqual(message.header)
    expect(decoded?.content).toEqual({ code: '1+1' })
    expect(decoded?.header.version).toBe('5.3')
  })

  it('drops tampered, wrongly signed and malformed frames', () => {
    const frames = codec.encode(codec.create('status', { execution_state: 'idle' }))
    const tampered = [...frames]
    tampered[5] = Buffer.from(JSON.stringify({ execution_state: 'busy' }))
    expect(codec.decode(tampered)).toBeUndefined()
    expect(new MessageCodec('other-key').decode(frames)).toBeUndefined()
    expect(codec.decode([Buffer.from('no delimiter')])).toBeUndefined()
    expect(codec.decode(frames.slice(0, 4))).toBeUndefined()
  })

  it('keeps the parent header so replies can be matched to requests', () => {
    const request = codec.create('kernel_info_request', {})
    const reply = codec.create('kernel_info_reply', { status: 'ok' }, request.header)
    expect(codec.decode(codec.encode(reply))?.parentHeader.msg_id).toBe(request.header.msg_id)
  })
})
