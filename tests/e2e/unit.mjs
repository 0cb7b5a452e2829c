// The demo's DOM-free logic, run in Node before the browser tests: k-NN (teach mode), prediction smoothing and
// frame statistics (www/lib). Each check compares against values worked out by hand.
import { KnnClassifier } from '../../www/lib/knn.js';
import { PredictionSmoother } from '../../www/lib/smoothing.js';
import { FrameStats } from '../../www/lib/frame-stats.js';

const near = (a, b, eps = 1e-9) => Math.abs(a - b) <= eps;
const vec = (...xs) => Float32Array.from(xs);

export function runUnitTests(check) {
  // k-NN: cosine similarity ignores scale; votes are weighted by similarity.
  {
    const knn = new KnnClassifier({ k: 3 });
    knn.addClass('a');
    knn.addClass('b');
    check(knn.predict(vec(1, 0, 0)) === null, 'knn: no prediction before any example');
    knn.addExample('a', vec(10, 0, 0)); // stored as unit vectors
    knn.addExample('a', vec(0.9, 0.1, 0));
    knn.addExample('b', vec(0, 0, 3));
    const r = knn.predict(vec(2, 0, 0));
    // similarities: a1 = 1, a2 = 0.9/√0.82 ≈ 0.99388, b = 0 (weight floored at 1e-6)
    const s2 = 0.9 / Math.sqrt(0.82);
    check(r.best === 'a' && near(r.similarity, 1, 1e-6), `knn: nearest class a, similarity 1 (got ${r.best}, ${r.similarity})`);
    check(near(r.scores.get('a'), (1 + s2) / (1 + s2 + 1e-6), 1e-6) && near(r.scores.get('a') + r.scores.get('b'), 1, 1e-9),
      `knn: votes weighted by similarity and normalised (a ${r.scores.get('a')}, b ${r.scores.get('b')})`);
    const toB = knn.predict(vec(0, 0.1, 1));
    // b: 1/√1.01 ≈ 0.995; a1: 0; a2: 0.1·0.1/(√0.82·√1.01) ≈ 0.01099 → b gets 0.995 / (0.995 + 0.011 + 1e-6)
    const sb = 1 / Math.sqrt(1.01);
    const sa2 = 0.01 / (Math.sqrt(0.82) * Math.sqrt(1.01));
    check(toB.best === 'b' && near(toB.confidence, sb / (sb + sa2 + 1e-6), 1e-6), `knn: class b wins by ${toB.confidence.toFixed(4)}`);
    check(knn.count('a') === 2 && knn.total() === 3 && knn.classesWithExamples() === 2, 'knn: counts per class');
    let threw = false;
    try {
      knn.addExample('a', vec(1, 2));
    } catch {
      threw = true;
    }
    check(threw, 'knn: an embedding of another length (another model) is refused');
    check(knn.addExample('b', vec(0, 0, 0)) === false && knn.count('b') === 1, 'knn: an all-zero embedding is ignored');
    knn.clearClass('a');
    check(knn.predict(vec(1, 0, 0)).best === 'b' && knn.count('a') === 0, 'knn: clearing a class removes its votes');
    knn.clearExamples();
    check(knn.dimension === 0 && knn.total() === 0 && knn.classIds.length === 2, 'knn: clearExamples keeps the classes');
    for (let i = 0; i < 100; i++) knn.addExample('a', vec(1, i, 0)); // growth beyond the first allocation
    check(knn.count('a') === 100 && knn.predict(vec(1, 99, 0)).similarity > 0.999999, 'knn: storage grows and keeps every example');
  }

  // Smoothing: an exponential moving average with a half-life in milliseconds.
  {
    const s = new PredictionSmoother({ halfLifeMs: 100, floor: 0.01 });
    const first = s.update([{ index: 1, label: 'cat', probability: 0.8 }, { index: 2, label: 'dog', probability: 0.2 }], 0);
    check(first.length === 2 && first[0].probability === 0.8, 'smoothing: the first frame is shown as is');
    // 100 ms later (one half-life): weight 0.5. cat 0.8→0.4+0=0.4, dog 0.2→0.1+0.5·0.9=0.55
    const second = s.update([{ index: 2, label: 'dog', probability: 0.9 }], 100);
    check(second[0].label === 'dog' && near(second[0].probability, 0.55) && near(second[1].probability, 0.4),
      `smoothing: half-life blend (dog ${second[0].probability}, cat ${second[1]?.probability})`);
    // 500 ms of absence: cat 0.4·2^-5 = 0.0125 stays; 700 ms: 0.4·2^-7 ≈ 0.003 < floor → dropped
    const third = s.update([{ index: 2, label: 'dog', probability: 0.9 }], 600);
    check(near(third.find((p) => p.label === 'cat').probability, 0.0125), 'smoothing: absent classes decay');
    const fourth = s.update([{ index: 2, label: 'dog', probability: 0.9 }], 800);
    check(!fourth.some((p) => p.label === 'cat'), 'smoothing: classes below the floor are dropped');
    s.reset();
    check(s.update([{ index: 3, label: 'fox', probability: 0.3 }], 900)[0].probability === 0.3, 'smoothing: reset starts afresh');
  }

  // Frame statistics: median of the last N latencies, FPS over a time window.
  {
    const st = new FrameStats({ latencyWindow: 4, fpsWindowMs: 1000 });
    check(Number.isNaN(st.medianLatency()) && st.fps(0) === 0, 'stats: nothing before the first frame');
    [50, 10, 40, 20, 30].forEach((ms, i) => st.record(ms, 100 * (i + 1))); // finished at 100..500 ms
    check(st.medianLatency() === 25 && st.latencySamples() === 4, `stats: median of the last 4 (10,40,20,30) is 25 (got ${st.medianLatency()})`);
    check(near(st.fps(500), 10), `stats: 5 frames 100 ms apart → 10 FPS (got ${st.fps(500)})`);
    check(near(st.fps(1250), 1000 / 100), 'stats: frames older than the window are left out');
    check(st.fps(2000) === 0, 'stats: stalled for longer than the window → 0 FPS');
    check(st.frames === 5, 'stats: frame count');
  }
}
