/** Makes images present on the engine before containers are created. */
export interface ImageFetcher {
  /** Throws the first permanent failure (IMAGE_NOT_FOUND), or the last error once retries run out. */
  ensure(images: readonly string[], signal?: AbortSignal): Promise<void>
  /** The images not present yet and, where a try failed, why: for the sentence of a boot that ran out of time. */
  outstanding?(): readonly { readonly image: string; readonly reason?: string }[]
}
