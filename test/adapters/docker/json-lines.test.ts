import { describe, expect, it } from 'vitest'
import { JsonLines } from '../../../src/adapters/docker/json-lines.js'

const events = [
  { Type: 'container', Action: 'start', Actor: { ID: 'a', Attributes: { name: 'café' } } },
  { Type: 'container', Action: 'die', Actor: { ID: 'a', Attributes: { name: 'café' } } },
  { Type: 'container', Action: 'destroy', Actor: { ID: 'b', Attributes: { name: '日本' } } },
]
const stream = Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join(''))

function parseInChunks(chunks: readonly Buffer[]): unknown[] {
  const lines = new JsonLines()
  return [...chunks.flatMap((chunk) => lines.push(chunk)), ...lines.end()]
}

describe('JsonLines', () => {
  it('parses whole lines in one chunk', () => {
    expect(parseInChunks([stream])).toEqual(events)
  })

  it('gives the same objects however the bytes are split, mid-line and mid-character', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parseInChunks([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(events)
    }
  })

  it('survives a byte at a time', () => {
    const bytes = [...stream].map((byte) => Buffer.from([byte]))
    expect(parseInChunks(bytes)).toEqual(events)
  })

  it('holds back a partial line until its newline arrives', () => {
    const lines = new JsonLines()
    expect(lines.push('{"a":')).toEqual([])
    expect(lines.push('1}\r\n\n{"b"')).toEqual([{ a: 1 }])
    expect(lines.push(':2}\n')).toEqual([{ b: 2 }])
  })

  it('parses a last line without a newline at the end', () => {
    const lines = new JsonLines()
    expect(lines.push('{"a":1}\n{"b":2}')).toEqual([{ a: 1 }])
    expect(lines.end()).toEqual([{ b: 2 }])
  })

  it('skips a line that is not JSON and carries on', () => {
    const lines = new JsonLines()
    expect(lines.push('{"a":1}\nnot json\n{"b":2}\n')).toEqual([{ a: 1 }, { b: 2 }])
  })
})
