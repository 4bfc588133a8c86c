/**
 * The form-encoded body of a query-protocol request, read the way AWS reads it: lists are numbered
 * from 1 (`InstanceId.1`, `AutoScalingGroupNames.member.1`) and structures nest with dots
 * (`Filter.1.Name`, `Filter.1.Value.1`).
 */
export class FormParams {
  private constructor(private readonly values: ReadonlyMap<string, string>, private readonly prefix: string) {}

  static parse(body: string): FormParams {
    return new FormParams(new Map(new URLSearchParams(body)), '')
  }

  get(key: string): string | undefined {
    return this.values.get(this.prefix + key)
  }

  int(key: string): number | undefined {
    const raw = this.get(key)
    return raw === undefined ? undefined : Number(raw)
  }

  bool(key: string): boolean | undefined {
    const raw = this.get(key)
    return raw === undefined ? undefined : raw === 'true'
  }

  /** `key.1`, `key.2`, ... in index order. */
  list(key: string): string[] {
    return this.#indices(key).map((i) => this.values.get(`${this.prefix}${key}.${i}`) ?? '')
  }

  /** One scoped view per `key.N.` structure, in index order. */
  structs(key: string): FormParams[] {
    return this.#indices(key).map((i) => new FormParams(this.values, `${this.prefix}${key}.${i}.`))
  }

  #indices(key: string): number[] {
    const head = `${this.prefix}${key}.`
    const indices = new Set<number>()
    for (const name of this.values.keys()) {
      if (!name.startsWith(head)) continue
      const index = Number(name.slice(head.length).split('.')[0])
      if (Number.isInteger(index) && index > 0) indices.add(index)
    }
    return [...indices].sort((a, b) => a - b)
  }
}
