import { describe, expect, it } from 'vitest'
import { resolveAttachments } from '../../src/lib/notebook/attachments.js'

describe('Markdown cell attachments', () => {
  const attachments = { 'plot one.png': { 'image/png': 'iVBORw0K' }, 'notes.txt': { 'text/plain': 'hi' } }

  it('turns attachment:name into a data URL for inline images, URL-encoded names included', () => {
    expect(resolveAttachments('![p](attachment:plot%20one.png)', attachments)).toBe('![p](data:image/png;base64,iVBORw0K)')
  })

  it('leaves unknown names, non-image attachments and other text alone', () => {
    expect(resolveAttachments('![x](attachment:missing.png)', attachments)).toBe('![x](attachment:missing.png)')
    expect(resolveAttachments('[n](attachment:notes.txt)', attachments)).toBe('[n](attachment:notes.txt)')
    expect(resolveAttachments('no attachments here', attachments)).toBe('no attachments here')
    expect(resolveAttachments('![x](attachment:__proto__)', attachments)).toBe('![x](attachment:__proto__)')
  })
})
