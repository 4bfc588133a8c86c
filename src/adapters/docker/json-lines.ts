import { StringDecoder } from 'node:string_decoder'

/**
 * Splits the engine's newline-delimited JSON streams (events, pull progress) into objects.
 * A chunk from the socket may end in the middle of a line, or in the middle of a multi-byte
 * character, so both the text and the bytes are carried over to the next chunk.
 */
export class JsonLines {
  readonly #decoder = new StringDecoder('utf8')
  #pending = ''

  /** The complete lines in this chunk, parsed; a line that is not JSON is skipped. */
  push(chunk: Buffer | string): unknown[] {
    this.#pending += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk)
    const lines = this.#pending.split('\n')
    this.#pending = lines.pop() ?? ''
    return parseLines(lines)
  }

  /** At the end of the stream: the last line, if it had no newline. */
  end(): unknown[] {
    const rest = this.#pending + this.#decoder.end()
    this.#pending = ''
    return parseLines([rest])
  }
}

function parseLines(lines: readonly string[]): unknown[] {
  const values: unknown[] = []
  for (const raw of lines) {
    const line = raw.trim()
    if (line === '') continue
    try {
      values.push(JSON.parse(line))
    } catch {
      // The engine only writes JSON; a torn line is left out rather than ending the stream.
    }
  }
  return values
}
