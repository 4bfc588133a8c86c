import parse, { type Family } from 'parse-prometheus-text-format'

/**
 * A /metrics text read by a Prometheus text-format parser (parse-prometheus-text-format), with
 * lookups by name and labels. A value that is not there is undefined, never 0.
 */
export class Scrape {
  readonly families: Family[]

  constructor(readonly text: string) {
    this.families = parse(text)
  }

  family(name: string): Family | undefined {
    return this.families.find((f) => f.name === name)
  }

  /** The value of the one sample of `name` whose labels include `labels`. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    const found = this.family(name)?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    if (found === undefined || found.length === 0) return undefined
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
    return Number(found[0]?.value)
  }

  /** A histogram without labels: its count and sum. */
  histogram(name: string): { count: number; sum: number } | undefined {
    const sample = this.family(name)?.metrics[0]
    return sample?.count === undefined ? undefined : { count: Number(sample.count), sum: Number(sample.sum) }
  }
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`)
  if (response.status !== 200) throw new Error(`GET ${url}/metrics answered ${response.status}`)
  return new Scrape(await response.text())
}
