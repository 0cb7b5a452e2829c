// Noise indicators for a shared 2-core machine, from /proc (Linux only; null elsewhere):
//   rqWaitPct  share of time the busy threads (>= 10% of the window on a CPU) sat runnable but not running
//   otherCores cores used by everything else on the machine during the window
//   cpuPerWall all browser CPU time / wall time (1.0 = one core busy)
import fs from 'node:fs';

function children() {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* process gone */ }
  }
  return kids;
}

function descendants(root) {
  const kids = children(), out = [], queue = [root];
  while (queue.length) for (const c of kids.get(queue.shift()) ?? []) out.push(c), queue.push(c);
  return out;
}

/** Per-thread [runMs, waitMs] of every process below this one (the browser), and of this one if `self`. */
function threadTimes(self) {
  const m = new Map();
  for (const pid of [...(self ? [process.pid] : []), ...descendants(process.pid)]) {
    let tids = [];
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        m.set(`${pid}/${tid}`, [run / 1e6, wait / 1e6]);
      } catch { /* thread gone */ }
    }
  }
  return m;
}

function machineBusyMs() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal || 0)) * 10; // USER_HZ = 100
}

/** Start a measurement window (over the browser, plus this process if `self`); call the result at its end. */
export function cpuWindow({ self = false } = {}) {
  if (!fs.existsSync('/proc/stat')) return () => null;
  const t0 = threadTimes(self), m0 = machineBusyMs(), w0 = performance.now();
  return () => {
    const t1 = threadTimes(self), wall = performance.now() - w0;
    let total = 0, busyWait = 0, busyRun = 0;
    for (const [k, [run, wait]] of t1) {
      const [run0, wait0] = t0.get(k) ?? [0, 0];
      total += run - run0;
      if (run - run0 >= 0.1 * wall) { busyRun += run - run0; busyWait += wait - wait0; }
    }
    return {
      wallMs: wall, cpuPerWall: total / wall,
      rqWaitPct: busyRun ? (100 * busyWait) / (busyRun + busyWait) : null,
      otherCores: Math.max(0, (machineBusyMs() - m0 - total) / wall),
    };
  };
}
