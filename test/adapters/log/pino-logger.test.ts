import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger, safeFields } from '../../../src/adapters/log/pino-logger.js'
import { DeckhandError } from '../../../src/core/errors.js'

async function capture(): Promise<{ lines: () => Record<string, unknown>[]; raw: () => string; logger: Awaited<ReturnType<typeof createLogger>> }> {
  let text = ''
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8')
      done()
    },
  })
  const logger = await createLogger({ destination, level: 'debug' })
  return { logger, raw: () => text, lines: () => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) }
}

describe('the pino logger', () => {
  it('redacts secret-named keys at any depth, in fields and in child bindings', async () => {
    const { logger, lines, raw } = await capture()
    logger.child({ config: { Env: ['DB=hunter2-long'] } }).info({ container: 'app', create: { body: { HostConfig: { env: { DB: 'hunter2-long' } } }, auth: { password: 'hunter2-long' } }, list: [{ secret: 'hunter2-long' }] }, 'created')
    expect(raw()).not.toContain('hunter2-long')
    expect(lines()[0]).toMatchObject({ container: 'app', config: { Env: '[redacted]' }, create: { body: { HostConfig: { env: '[redacted]' } }, auth: '[redacted]' }, list: [{ secret: '[redacted]' }], msg: 'created' })
  })

  it('escapes control and bidi characters in messages, keys and values, so no line can be forged', async () => {
    const { logger, raw, lines } = await capture()
    logger.warn({ reason: 'boom\u001b[2J\u202eevil', 'k\u2028': 'v' }, 'line one\n{"level":"info","msg":"forged"}')
    expect(raw().trim().split('\n')).toHaveLength(1)
    expect(raw()).not.toMatch(/[\u001b\u202e\u2028]/)
    expect(lines()[0]).toMatchObject({ reason: 'boom\\x1b[2J\\u202eevil', 'k\\u2028': 'v', msg: 'line one\\x0a{"level":"info","msg":"forged"}' })
  })

  it("logs an error's message and code but never its cause, whose raw text may echo a secret", async () => {
    const { logger, raw, lines } = await capture()
    const cause = Object.assign(new Error('exec: "/bin/hunter2-long": no such file'), { statusCode: 400 })
    logger.error({ err: new DeckhandError('CONTAINER_CREATE_FAILED', 'Container abc failed to start: exec: "/bin/***": no such file.', { cause }) }, 'start failed')
    expect(raw()).not.toContain('hunter2-long')
    expect(lines()[0]).toMatchObject({ err: { type: 'DeckhandError', code: 'CONTAINER_CREATE_FAILED', retryable: false, message: 'Container abc failed to start: exec: "/bin/***": no such file.' } })
  })

  it('copes with cycles and depth, and logs a value met twice twice', () => {
    const shared = { a: 1 }
    const cyclic: Record<string, unknown> = { shared, again: shared }
    cyclic['self'] = cyclic
    expect(safeFields(cyclic)).toEqual({ shared: { a: 1 }, again: { a: 1 }, self: '[circular]' })
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 20; i++) deep = { deep }
    expect(JSON.stringify(safeFields(deep))).toContain('[too deep]')
  })
})
