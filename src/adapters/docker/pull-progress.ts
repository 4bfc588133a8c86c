/**
 * A pull's progress stream: one JSON object per line, ending when the engine is done. The
 * engine reports many failures in-band, as a line `{"error": "...", "errorDetail": {...}}` on a
 * stream that then ends normally; a pull that resolved on stream end alone would report them
 * as success.
 */

/** dockerode's `modem.followProgress`, which splits the stream into lines and parses them. */
export type FollowProgress = (
  stream: NodeJS.ReadableStream,
  onFinished: (error: Error | null, output: unknown[]) => void,
  onProgress?: (event: unknown) => void,
) => void

/** The first in-band error's message, or undefined when the pull reported none. */
export function followPull(stream: NodeJS.ReadableStream, follow: FollowProgress, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let inBandError: string | undefined
    // followProgress treats 'close' like 'end', so an aborted pull would look finished.
    const onAbort = (): void => {
      reject(signal.reason)
      destroy(stream)
    }
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    follow(
      stream,
      (error) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) reject(signal.reason)
        else if (error !== null) reject(error)
        else resolve(inBandError)
      },
      (event) => {
        inBandError ??= progressError(event)
      },
    )
  })
}

export function progressError(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const { error, errorDetail } = event as { error?: unknown; errorDetail?: { message?: unknown } | null }
  if (typeof error === 'string' && error !== '') return error
  const detail = errorDetail?.message
  return typeof detail === 'string' && detail !== '' ? detail : undefined
}

function destroy(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void }
  destroyable.destroy?.()
}
