import type { KernelOutput } from './types.js'
import { type JupyterMessage, isObject } from './wire.js'

const asRecord = (value: unknown): Record<string, unknown> => (isObject(value) ? value : {})
const asString = (value: unknown): string => (typeof value === 'string' ? value : '')

/**
 * Turns one iopub message into the output a notebook stores, or undefined for messages that are not
 * outputs (status, execute_input, comm messages). A kernel is untrusted: every field is checked.
 */
export function toKernelOutput(message: JupyterMessage): KernelOutput | undefined {
  const content = message.content
  switch (message.header.msg_type) {
    case 'stream':
      return { type: 'stream', name: content.name === 'stderr' ? 'stderr' : 'stdout', text: asString(content.text) }
    case 'display_data':
    case 'update_display_data': {
      const displayId = asRecord(content.transient).display_id
      return {
        type: message.header.msg_type,
        data: asRecord(content.data),
        metadata: asRecord(content.metadata),
        ...(typeof displayId === 'string' ? { displayId } : {}),
      }
    }
    case 'execute_result':
      return {
        type: 'execute_result',
        executionCount: typeof content.execution_count === 'number' ? content.execution_count : null,
        data: asRecord(content.data),
        metadata: asRecord(content.metadata),
      }
    case 'error':
      return {
        type: 'error',
        ename: asString(content.ename),
        evalue: asString(content.evalue),
        traceback: Array.isArray(content.traceback) ? content.traceback.map(asString) : [],
      }
    case 'clear_output':
      return { type: 'clear_output', wait: content.wait === true }
    default:
      return undefined
  }
}

/**
 * Outputs carried in an execute_reply's payload: `page` (what `obj?` shows) becomes display data, since a
 * notebook in a document has no pager.
 */
export function payloadOutputs(replyContent: Record<string, unknown>): KernelOutput[] {
  const payload = Array.isArray(replyContent.payload) ? replyContent.payload : []
  return payload
    .filter((item): item is Record<string, unknown> => isObject(item) && item.source === 'page' && isObject(item.data))
    .map((item) => ({ type: 'display_data' as const, data: asRecord(item.data), metadata: {} }))
}
