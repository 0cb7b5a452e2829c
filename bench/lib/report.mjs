// What the harness prints: one text table per model as it finishes, then the summary in text and markdown
// (the markdown is what BENCHMARKS.md records). ratio = project median / peer median: below 1 the project is faster.
import { textTable, markdownTable, fmt, ms, percentile } from './stats.mjs';

const PEER_ORDER = ['tflite', 'tfjs-wasm', 'ort-wasm', 'tflite-mt', 'tfjs-wasm-mt', 'ort-wasm-mt'];
const isThreaded = (p) => p.endsWith('-mt');
/** A project build timed in the single-thread page, called directly (not the threaded build, nor `project-worker`). */
export const inSingleThreadPage = (b) => !b.threaded && !b.inWorker;

/** Runtime ids of a model entry in display order: project builds (browser), their Node rows, peers. */
function order(entry, builds) {
  const ids = Object.keys(entry.runtimes);
  return [...builds.map((b) => b.id), ...builds.map((b) => `node:${b.id}`), ...PEER_ORDER].filter((id) => ids.includes(id));
}

const peersOf = (entry) => PEER_ORDER.filter((p) => entry.runtimes[p]?.stats);

function fastestPeer(entry, threaded) {
  const peers = peersOf(entry).filter((p) => isThreaded(p) === threaded);
  return peers.reduce((best, p) => (!best || entry.runtimes[p].stats.median < entry.runtimes[best].stats.median ? p : best), null);
}

/** median(a) / median(b), only for runtimes timed in the same page (interleaved); null otherwise. */
const ratio = (entry, a, b) => {
  const x = entry.runtimes[a], y = entry.runtimes[b];
  return x?.stats && y?.stats && x.group === y.group ? x.stats.median / y.stats.median : null;
};

/** Median over rounds of time(a) / time(b): both ran in every round of the same page, side by side. */
function pairedRatio(entry, a, b) {
  const x = entry.runtimes[a], y = entry.runtimes[b];
  if (ratio(entry, a, b) == null || x.times.length !== y.times.length) return null;
  return percentile(x.times.map((t, i) => t / y.times[i]), 0.5);
}
/** (single-thread build in a Worker, threaded build) pairs timed side by side in this entry. */
function speedupPairs(entry, builds) {
  const single = builds.find((b) => b.inWorker && entry.runtimes[b.id]?.stats);
  if (!single) return [];
  return builds.filter((b) => b.threaded && ratio(entry, single.id, b.id) != null).map((b) => [single.id, b.id]);
}
/** The speed-up page's runtimes as an entry of their own (null if the run had none). */
const speedupEntry = (entry) => (entry.speedup ? { runtimes: entry.speedup.runtimes } : null);

/** Speed-up rows of an entry: [page label, pseudo-entry, worker id, threaded id], the project's own page first. */
function speedupRows(entry, builds, gapMs) {
  const rows = [];
  const own = speedupEntry(entry);
  if (own) for (const [w, t] of speedupPairs(own, builds)) rows.push([`project alone, ${entry.speedup.gapMs ?? 0} ms gap`, own, w, t]);
  for (const [w, t] of speedupPairs(entry, builds)) rows.push([`threaded page, ${gapMs ?? '?'} ms gap`, entry, w, t]);
  return rows;
}

const ratioCell = (e, a, b) => (ratio(e, a, b) == null ? '-' : `${fmt(ratio(e, a, b), 2)} (${fmt(pairedRatio(e, a, b), 2)})`);

/** Short correctness cell: the project must be bit-exact with golden (uint8); peers: top-1 agreement. */
function checkCell(r) {
  if (r.error) return 'FAILED';
  const cs = (r.checks ?? []).filter((c) => c.against);
  if (!cs.length) return r.checks?.length ? 'anchor (no golden file)' : '-';
  let cell = `top-1 ${cs.filter((c) => c.top1Ok).length}/${cs.length}`;
  const raw = cs.filter((c) => c.diff);
  if (raw.length) {
    cell += raw.every((c) => c.exact) ? ', exact' : `, max diff ${gnum(Math.max(...raw.map((c) => c.diff.maxAbs)))}`;
    const xnn = raw.filter((c) => c.vsXnnpack);
    if (xnn.length && (r.kind !== 'project' || !raw.every((c) => c.exact))) cell += ` (xnn ${gnum(Math.max(...xnn.map((c) => c.vsXnnpack.maxAbs)))})`;
  }
  if (cs[0].against === 'tflite') cell += ' vs tflite';
  if (cs.some((c) => c.ok === false) && r.kind === 'project') cell += ' **WRONG**';
  if (r.stable === false) cell += ', UNSTABLE';
  return cell;
}
const gnum = (x) => (Number.isInteger(x) ? String(x) : x.toExponential(1));

export function printModel(stem, entry, builds) {
  const rows = order(entry, builds).map((id) => {
    const r = entry.runtimes[id];
    if (r.error) return [id, 'FAILED: ' + r.error.slice(0, 120)];
    const s = r.stats;
    const vs = builds.filter((b) => inSingleThreadPage(b) && entry.runtimes[b.id]?.stats && !id.startsWith('project'))
      .map((b) => fmt(ratio(entry, b.id, id), 2)).join('/');
    return [id, r.env, r.info?.threads ?? 1, ms(s.median), ms(s.p10), ms(s.p90), ms(s.min), ms(r.firstMs), ms(r.setupMs), vs || '-', checkCell(r)];
  });
  console.log(textTable(['runtime', 'env', 'threads', 'median', 'p10', 'p90', 'min', 'first', 'setup', 'project/this', 'check'], rows));
  const own = speedupEntry(entry);
  for (const [w, t] of own ? speedupPairs(own, builds) : []) {
    const [x, y] = [own.runtimes[w].stats, own.runtimes[t].stats];
    console.log(`  threads speed-up, project alone (${entry.speedup.gapMs ?? 0} ms gap): ${w} ${ms(x.median)} ms (${ms(x.p10)}–${ms(x.p90)}), ` +
      `${t} ${ms(y.median)} ms (${ms(y.p10)}–${ms(y.p90)}): ${fmt(ratio(own, w, t), 2)}× (per round ${fmt(pairedRatio(own, w, t), 2)}×)`);
  }
  console.log(`  noise: ${noiseLine(entry)}`);
}

function noiseLine(entry) {
  return Object.entries(entry.noise).filter(([, n]) => n)
    .map(([g, n]) => `${g} rq-wait ${fmt(n.rqWaitPct, 0)}%, other load ${fmt(n.otherCores, 2)} cores`).join('; ');
}

export function printReport(out, builds) {
  const entries = Object.entries(out.models);
  if (entries.length) {
    const rows = entries.map(([stem, e]) => {
      const cells = [short(stem)];
      for (const b of builds.filter(inSingleThreadPage)) {
        for (const p of peersOf(e).filter((x) => !isThreaded(x))) cells.push(`${b.id}/${p} ${fmt(ratio(e, b.id, p), 2)}`);
      }
      for (const [label, x, w, t] of speedupRows(e, builds, out.env?.options?.gap)) {
        cells.push(`${w}/${t} ${fmt(ratio(x, w, t), 2)} (${fmt(pairedRatio(x, w, t), 2)}) [${label}]`);
      }
      return cells;
    });
    console.log('\n==== ratios (median / median; < 1 = project faster)');
    for (const r of rows) console.log(`  ${r[0].padEnd(26)} ${r.slice(1).join('  ')}`);
  }
  if (out.peak) {
    for (const [engine, p] of Object.entries(out.peak).filter(([k]) => k !== 'layers')) {
      console.log(`peak f32x4 (${engine}): ${Object.values(p.best).map((v) => `${v.variant} ${fmt(v.best, 1)} GFLOP/s (x${v.chains})`).join(', ') || 'n/a'}`);
    }
    for (const [variant, v] of Object.entries(out.peak.layers ?? {})) {
      if (v.error) { console.log(`pointwise GEMM (${variant}): ${v.error}`); continue; }
      const t = v.shapes.reduce((a, x) => a + x.count * x.medianMs, 0);
      const g = v.shapes.reduce((a, x) => a + x.count * 2 * x.m * x.k * x.n, 0) / (t * 1e6);
      const p = out.peak.chromium.best[v.peakVariant]?.best;
      console.log(`pointwise GEMM (${variant}, Chromium): 13 layers of 1.0/224 in ${ms(t)} ms, ${fmt(g, 1)} GFLOP/s` +
        (p ? ` = ${((100 * g) / p).toFixed(0)}% of the ${v.peakVariant} peak` : ''));
    }
  }
}

const short = (stem) => stem.replace(/^mobilenet_v1_/, '');

export function markdownReport(out, builds) {
  const { env } = out;
  const md = [];
  const st = builds.filter((b) => !b.threaded);
  const tree = env.pkgDefault ? `the tree at commit \`${env.commit}\`${env.dirty ? ' + uncommitted src/ changes' : ''}` : `builds from \`${env.options.pkg}\``;
  md.push(`Measured ${env.date.slice(0, 16).replace('T', ' ')} UTC, ${tree}: ` +
    `${env.nproc} cores, \`${env.cpu}\`; Chromium ${env.chromium ?? '?'} headless; Node ${env.node}; ` +
    `builds ${builds.map((b) => `\`${b.id}\` = pkg/${b.name}${b.threaded ? ' (threaded)' : ''} (wasm sha256 ${b.sha256}, built ${b.built})`).join(', ')}; ` +
    `peers ${Object.entries(env.versions).filter(([k]) => k !== 'playwright-core').map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  md.push(`Command: \`${env.command.replace(/^bench\.mjs/, './build.sh bench')}\` (${env.options.warmup} warm-up + ${env.options.runs} timed runs per runtime, interleaved ` +
    `one inference at a time in one page; timed input \`${env.options.image}\`).`);
  const entries = Object.entries(out.models);
  if (entries.length) {
    const ids = [...new Set(entries.flatMap(([, e]) => order(e, builds)))];
    md.push('', '**Latency, ms: median (p10–p90)**, one inference: input tensor in → output vector out');
    md.push(markdownTable(['model', ...ids], entries.map(([stem, e]) => [short(stem), ...ids.map((id) => {
      const r = e.runtimes[id];
      return !r ? '' : r.error ? 'failed' : `${ms(r.stats.median)} (${ms(r.stats.p10)}–${ms(r.stats.p90)})`;
    })])));
    const peerCols = PEER_ORDER.filter((p) => entries.some(([, e]) => e.runtimes[p]?.stats));
    md.push('', '**Ratio project / peer**: ratio of the medians (in brackets: median of the per-round ratios, the ' +
      'two ran side by side in every round); < 1 = the project is faster');
    md.push(markdownTable(['model', 'build', ...peerCols.map((p) => `/ ${p}`), '/ fastest peer'],
      entries.flatMap(([stem, e]) => builds.filter((b) => !b.inWorker && e.runtimes[b.id]?.stats).map((b) => {
        const fp = fastestPeer(e, b.threaded);
        return [short(stem), b.id, ...peerCols.map((p) => ratioCell(e, b.id, p)), fp ? `${ratioCell(e, b.id, fp)} ${fp}` : '-'];
      }))));
    const speedups = entries.flatMap(([stem, e]) => speedupRows(e, builds, env.options.gap).map(([label, x, w, t]) =>
      [short(stem), t, label, `${x.runtimes[t].info?.threads ?? '?'}`, `${ms(x.runtimes[w].stats.median)} → ${ms(x.runtimes[t].stats.median)}`,
        fmt(ratio(x, w, t), 2), fmt(pairedRatio(x, w, t), 2)]));
    if (speedups.length) {
      md.push('', '**Threads speed-up**: `project-worker` (the single-thread build) ÷ the threaded build, both in a ' +
        'Worker, timed over the message round trip, interleaved one inference at a time: in a page of their own, and in ' +
        'the threaded page (with the threaded peers) with its idle gap before every inference');
      md.push(markdownTable(['model', 'build', 'page', 'threads', 'median ms', 'ratio of medians', 'median per-round ratio'], speedups));
    }
    md.push('', '**First inference / setup, ms** (first = the first call after loading; setup = load the runtime + model)');
    md.push(markdownTable(['model', ...ids], entries.map(([stem, e]) => [short(stem), ...ids.map((id) => {
      const r = e.runtimes[id];
      return !r || r.error ? '' : `${ms(r.firstMs)} / ${ms(r.setupMs)}`;
    })])));
    md.push('', '**Correctness in the same run** (project: raw uint8 output bit-exact with golden `output`, TFLite reference ' +
      'kernels, or float within 1e-4; everyone: top-1 equal to golden; the float stand-in has no golden file: compared with ' +
      'the tflite peer; `xnn` = max diff vs golden `output_xnnpack`, TFLite\'s XNNPACK path)');
    md.push(markdownTable(['model', ...ids], entries.map(([stem, e]) => [short(stem), ...ids.map((id) => (e.runtimes[id] ? checkCell(e.runtimes[id]) : ''))])));
    md.push('', `Noise (rq-wait = share of time the busy browser threads waited for a CPU; other load = cores used by other processes): ` +
      entries.map(([stem, e]) => `${short(stem)}: ${noiseLine(e)}`).join('. ') + '.');
  }
  const sizes = Object.entries(out.wasmSizes ?? {}).flatMap(([id, list]) => list.map((f) => [id, f.file, kb(f.raw), kb(f.gzip)]));
  if (sizes.length) md.push('', '**Wasm size**', markdownTable(['runtime', 'file', 'raw KiB', 'gzip -9 KiB'], sizes));
  if (out.peak) {
    md.push('', '**f32x4 multiply-add peak, one thread** (bench/lib/peak.mjs: K independent accumulator chains; ' +
      '8 FLOP per f32x4 mul+add or relaxed madd; best of 10 runs of >= 100 ms, best K)');
    md.push(markdownTable(['engine', 'mul + add (simd128)', 'relaxed madd'], Object.entries(out.peak).filter(([k]) => k !== 'layers').map(([engine, p]) => [engine,
      ...['mul+add', 'madd'].map((v) => (p.best[v] ? `${fmt(p.best[v].best, 1)} GFLOP/s (K=${p.best[v].chains}, median ${fmt(p.best[v].median, 1)})` : 'n/a'))])));
  }
  if (out.peak?.layers && Object.keys(out.peak.layers).length) md.push('', layersTable(out.peak));
  if (st.length === 0) md.push('', '(no single-thread project build)');
  return md.join('\n');
}

const kb = (b) => (b / 1024).toFixed(0);

/** The pointwise GEMM alone per MobileNet V1 1.0/224 layer shape, as GFLOP/s and fraction of the Chromium peak. */
function layersTable(peak) {
  const variants = Object.entries(peak.layers);
  const ok = variants.filter(([, v]) => v.shapes);
  const pct = (v, g) => {
    const p = peak.chromium.best[v.peakVariant]?.best;
    return p ? ` (${((100 * g) / p).toFixed(0)}%)` : '';
  };
  const lines = ['**Pointwise (1×1) GEMM alone**, Chromium, the layers of MobileNet V1 1.0/224 (bench/kernels over the ' +
    'public `kernels::f32` API; median ms, GFLOP/s = 2·M·K·N / time, % of the matching f32x4 peak above: mul + add for ' +
    'simd128, relaxed madd for relaxed)'];
  for (const [name, v] of variants.filter(([, x]) => x.error)) lines.push(`(${name}: ${v.error})`);
  if (!ok.length) return lines.join('\n');
  const rows = ok[0][1].shapes.map((sh, i) => [`${sh.m} × ${sh.k} → ${sh.n}${sh.count > 1 ? ` (×${sh.count})` : ''}`,
    ...ok.map(([, v]) => `${ms(v.shapes[i].medianMs)} ms, ${fmt(v.shapes[i].gflops, 1)}${pct(v, v.shapes[i].gflops)}`)]);
  rows.push(['all 13 layers', ...ok.map(([, v]) => {
    const t = v.shapes.reduce((a, x) => a + x.count * x.medianMs, 0);
    const g = v.shapes.reduce((a, x) => a + x.count * 2 * x.m * x.k * x.n, 0) / (t * 1e6);
    return `${ms(t)} ms, ${fmt(g, 1)}${pct(v, g)}`;
  })]);
  lines.push(markdownTable(['M × K → N', ...ok.map(([name]) => name)], rows));
  return lines.join('\n');
}
