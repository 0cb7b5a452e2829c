// Live predictions flicker from frame to frame; this blends them with an exponential moving average whose weight
// depends on the time between frames (a half-life), so the display settles equally fast at 3 or 30 FPS.

export class PredictionSmoother {
  #halfLifeMs;
  #floor;
  #entries = new Map(); // class index → { index, label, probability }
  #lastMs = null;

  /** @param {{ halfLifeMs?: number, floor?: number }} [o] floor: smoothed probabilities below it are dropped */
  constructor({ halfLifeMs = 250, floor = 0.002 } = {}) {
    this.#halfLifeMs = halfLifeMs;
    this.#floor = floor;
  }

  reset() {
    this.#entries.clear();
    this.#lastMs = null;
  }

  /**
   * Blend one frame's predictions (best first; a top-k, so absent classes count as 0) taken at `nowMs`.
   * The first frame after reset() is shown as is.
   * @returns {{ index: number, label: string, probability: number }[]} smoothed, best first
   */
  update(predictions, nowMs) {
    const weight = this.#lastMs === null ? 1 : 1 - 2 ** (-Math.max(0, nowMs - this.#lastMs) / this.#halfLifeMs);
    this.#lastMs = nowMs;
    for (const e of this.#entries.values()) e.probability *= 1 - weight;
    for (const p of predictions) {
      let e = this.#entries.get(p.index);
      if (!e) this.#entries.set(p.index, (e = { index: p.index, label: p.label, probability: 0 }));
      e.probability += weight * p.probability;
    }
    for (const [index, e] of this.#entries) if (e.probability < this.#floor) this.#entries.delete(index);
    return [...this.#entries.values()].sort((a, b) => b.probability - a.probability || a.index - b.index);
  }
}
