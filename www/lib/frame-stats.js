// Frames per second (completed frames over the last few seconds) and the median per-frame latency of the last N
// frames, in fixed-size rings so that recording a frame allocates nothing.

export class FrameStats {
  #latencies;
  #sorted;
  #times;
  #count = 0; // frames recorded since reset
  #windowMs;

  /** @param {{ latencyWindow?: number, fpsWindowMs?: number }} [o] */
  constructor({ latencyWindow = 30, fpsWindowMs = 3000 } = {}) {
    this.#latencies = new Float64Array(latencyWindow);
    this.#sorted = new Float64Array(latencyWindow);
    this.#times = new Float64Array(256);
    this.#windowMs = fpsWindowMs;
  }

  reset() {
    this.#count = 0;
  }

  /** Frames recorded since the last reset. */
  get frames() {
    return this.#count;
  }

  /** One finished frame: how long it took and when it finished. */
  record(latencyMs, nowMs) {
    this.#latencies[this.#count % this.#latencies.length] = latencyMs;
    this.#times[this.#count % this.#times.length] = nowMs;
    this.#count++;
  }

  /** Median latency of the last `latencyWindow` frames (NaN before the first). */
  medianLatency() {
    const n = Math.min(this.#count, this.#latencies.length);
    if (n === 0) return NaN;
    const s = this.#sorted.subarray(0, n);
    s.set(this.#latencies.subarray(0, n));
    s.sort();
    return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** How many frames of the last latencyWindow the median covers. */
  latencySamples() {
    return Math.min(this.#count, this.#latencies.length);
  }

  /** Frames per second over the frames finished in the last fpsWindowMs (0 if fewer than 2). */
  fps(nowMs) {
    const ring = this.#times.length;
    const available = Math.min(this.#count, ring);
    if (available < 2) return 0;
    const newest = this.#times[(this.#count - 1) % ring];
    if (nowMs - newest > this.#windowMs) return 0; // stalled or stopped
    let oldest = newest;
    let n = 1;
    for (let j = 2; j <= available; j++) {
      const t = this.#times[(this.#count - j) % ring];
      if (nowMs - t > this.#windowMs) break;
      oldest = t;
      n++;
    }
    return n < 2 || newest === oldest ? 0 : ((n - 1) * 1000) / (newest - oldest);
  }
}
