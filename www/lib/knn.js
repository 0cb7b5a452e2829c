// Teach mode's classifier: k nearest neighbours by cosine similarity over MobileNet embeddings. Examples are kept
// as unit vectors in one growable Float32Array per class, in this page's memory only (never stored, never sent).

/** Vote weights of the k nearest examples are their cosine similarities (embeddings are ReLU6 averages, so ≥ 0). */
export class KnnClassifier {
  #k;
  #dimension = 0;
  #classes = new Map(); // id → { rows: Float32Array, count }
  #nearestSim;
  #nearestId;
  #scores = new Map(); // reused by predict()

  /** @param {{ k?: number }} [options] neighbours that vote */
  constructor({ k = 7 } = {}) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    this.#k = k;
    this.#nearestSim = new Float64Array(k);
    this.#nearestId = new Array(k).fill(null);
  }

  /** Length of the stored embeddings (0 until the first example). */
  get dimension() {
    return this.#dimension;
  }

  /** Class ids, in the order they were added. */
  get classIds() {
    return [...this.#classes.keys()];
  }

  addClass(id) {
    if (!this.#classes.has(id)) this.#classes.set(id, { rows: new Float32Array(0), count: 0 });
  }

  deleteClass(id) {
    this.#classes.delete(id);
    if (this.total() === 0) this.#dimension = 0;
  }

  clearClass(id) {
    const c = this.#classes.get(id);
    if (c) c.count = 0;
    if (this.total() === 0) this.#dimension = 0;
  }

  /** Forget every example but keep the classes (e.g. before re-embedding them with another model). */
  clearExamples() {
    for (const c of this.#classes.values()) c.count = 0;
    this.#dimension = 0;
  }

  count(id) {
    return this.#classes.get(id)?.count ?? 0;
  }

  total() {
    let n = 0;
    for (const c of this.#classes.values()) n += c.count;
    return n;
  }

  /** Classes that hold at least one example. */
  classesWithExamples() {
    let n = 0;
    for (const c of this.#classes.values()) if (c.count > 0) n++;
    return n;
  }

  /** Store a unit-length copy of `embedding` as an example of class `id`. An all-zero embedding is ignored. */
  addExample(id, embedding) {
    const c = this.#classes.get(id);
    if (!c) throw new RangeError(`no class ${id}`);
    if (this.#dimension === 0) this.#dimension = embedding.length;
    if (embedding.length !== this.#dimension) {
      throw new RangeError(`embedding length ${embedding.length} differs from the examples' ${this.#dimension}`);
    }
    const norm = length(embedding);
    if (!(norm > 0)) return false;
    const d = this.#dimension;
    if ((c.count + 1) * d > c.rows.length) {
      const grown = new Float32Array(Math.max(d * 8, c.rows.length * 2));
      grown.set(c.rows.subarray(0, c.count * d));
      c.rows = grown;
    }
    const row = c.rows.subarray(c.count * d, (c.count + 1) * d);
    for (let i = 0; i < d; i++) row[i] = embedding[i] / norm;
    c.count++;
    return true;
  }

  /**
   * Classify `embedding`: each of the k most similar examples votes for its class with its similarity.
   * @returns {{ best: unknown, confidence: number, scores: Map<unknown, number>, similarity: number } | null}
   *   scores: every class → share of the votes (sums to 1); similarity: cosine to the nearest example.
   *   null when no example is stored or the embedding is all zeros.
   */
  predict(embedding) {
    const d = this.#dimension;
    if (d === 0 || this.total() === 0) return null;
    if (embedding.length !== d) throw new RangeError(`embedding length ${embedding.length} differs from the examples' ${d}`);
    const norm = length(embedding);
    if (!(norm > 0)) return null;

    const sims = this.#nearestSim;
    const ids = this.#nearestId;
    sims.fill(-Infinity);
    ids.fill(null);
    const k = this.#k;
    for (const [id, c] of this.#classes) {
      for (let r = 0; r < c.count; r++) {
        let dot = 0;
        const base = r * d;
        for (let i = 0; i < d; i++) dot += c.rows[base + i] * embedding[i];
        const sim = dot / norm;
        if (sim <= sims[k - 1]) continue;
        let at = k - 1; // insertion into the sorted top-k
        while (at > 0 && sims[at - 1] < sim) {
          sims[at] = sims[at - 1];
          ids[at] = ids[at - 1];
          at--;
        }
        sims[at] = sim;
        ids[at] = id;
      }
    }

    const scores = this.#scores;
    scores.clear();
    for (const id of this.#classes.keys()) scores.set(id, 0);
    let sum = 0;
    for (let j = 0; j < k && ids[j] !== null; j++) {
      const w = Math.max(sims[j], 1e-6);
      scores.set(ids[j], scores.get(ids[j]) + w);
      sum += w;
    }
    let best = null;
    let confidence = 0;
    for (const [id, s] of scores) {
      const share = s / sum;
      scores.set(id, share);
      if (share > confidence) [best, confidence] = [id, share];
    }
    return { best, confidence, scores, similarity: sims[0] };
  }
}

function length(v) {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}
