import { PassThrough } from 'node:stream'
import Dockerode from 'dockerode'
import { describe, expect, it } from 'vitest'
import { followPull, progressError, type FollowProgress } from '../../../src/adapters/docker/pull-progress.js'

// The real followProgress, from a client that never dials.
const modem = new Dockerode({ socketPath: '/nonexistent/docker.sock' }).modem
const follow: FollowProgress = (stream, onFinished, onProgress) => modem.followProgress(stream, onFinished, onProgress)

function progress(lines: readonly object[], split = 7): PassThrough {
  const stream = new PassThrough()
  const text = lines.map((line) => `${JSON.stringify(line)}\r\n`).join('')
  for (let at = 0; at < text.length; at += split) stream.write(text.slice(at, at + split))
  stream.end()
  return stream
}

describe('followPull', () => {
  it('resolves with no error for a pull that reports none', async () => {
    const stream = progress([
      { status: 'Pulling from deckhand-test/web', id: '1' },
      { status: 'Downloading', progressDetail: { current: 10, total: 20 }, id: 'abc' },
      { status: 'Digest: sha256:0123' },
      { status: 'Status: Downloaded newer image for 127.0.0.1:5000/deckhand-test/web:1' },
    ])
    await expect(followPull(stream, follow, new AbortController().signal)).resolves.toBeUndefined()
  })

  it('returns the in-band error of a stream that ends normally', async () => {
    const stream = progress([
      { status: 'Pulling fs layer', id: 'abc' },
      { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' },
      { status: 'this line comes after the error' },
    ])
    await expect(followPull(stream, follow, new AbortController().signal)).resolves.toBe('unauthorized: authentication required')
  })

  it('rejects when the stream fails', async () => {
    const stream = new PassThrough()
    const pulled = followPull(stream, follow, new AbortController().signal)
    stream.destroy(new Error('socket hang up'))
    await expect(pulled).rejects.toThrow('socket hang up')
  })

  it('rejects with the abort reason and destroys the stream, although followProgress sees a close', async () => {
    const stream = new PassThrough()
    const controller = new AbortController()
    const pulled = followPull(stream, follow, controller.signal)
    stream.write('{"status":"Downloading"}\n')
    const reason = new Error('boot deadline')
    controller.abort(reason)
    await expect(pulled).rejects.toBe(reason)
    expect(stream.destroyed).toBe(true)
  })
})

describe('progressError', () => {
  it('finds error and errorDetail lines only', () => {
    expect(progressError({ error: 'boom' })).toBe('boom')
    expect(progressError({ errorDetail: { message: 'detail only' } })).toBe('detail only')
    expect(progressError({ status: 'Downloading' })).toBeUndefined()
    expect(progressError(null)).toBeUndefined()
  })
})
