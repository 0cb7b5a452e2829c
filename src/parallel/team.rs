//! The threads of one inference, kept busy between layers (threaded build only).
//!
//! rayon parks an idle worker on a futex after a few microseconds of spinning, so a layer split through rayon
//! first waits for the other thread to wake (and, at the join, for itself to be woken again): in a 2-core VM that
//! cost more than a small layer's work, and 1.0/224 uint8 ran only 1.2× faster on 2 threads than on 1. Here the
//! thread running the inference (the leader) publishes each layer as a numbered task of `blocks` blocks; the pool's
//! other threads (helpers) spin until the inference ends, claim blocks with one compare-and-swap each, and never
//! sleep in between. The leader claims blocks too, so a layer completes even if no helper ever gets scheduled.
//!
//! The leader claims from the front of each layer and the helpers from the back. Consecutive layers cut the image
//! into blocks in the same order (rows or pixels, top to bottom), so each thread mostly reads what it wrote itself
//! a layer earlier, from its own core's cache, while whoever is faster still takes more blocks.

use std::cell::Cell;
use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Arc;

/// Most blocks one task may have (the block counters are 16-bit fields of [`Team::state`]).
pub const MAX_BLOCKS: usize = u16::MAX as usize;

/// Which end of a task's unclaimed blocks a thread takes from.
#[derive(Clone, Copy)]
enum Side {
    Front,
    Back,
}

/// A layer's work: `run(block)` for every block, from any thread of the team.
struct Task<'a> {
    run: &'a (dyn Fn(usize) + Sync),
}

pub struct Team {
    /// Task number (high 32 bits) | first unclaimed block (bits 16..32) | one past the last unclaimed block (low 16
    /// bits). One word, so a claim (a compare-and-swap) can only succeed on the task it read.
    state: AtomicU64,
    /// Blocks of the current task finished; the leader waits for all before publishing the next.
    done: AtomicUsize,
    /// The current [`Task`], valid while any of its blocks is unfinished.
    task: AtomicPtr<()>,
    /// Set when the inference is over: helpers return.
    finished: AtomicBool,
}

thread_local! {
    /// The team this thread leads when it runs an inference (made once per thread, reused by every inference).
    static TEAM: Arc<Team> = Arc::new(Team::new());
    /// Set while this thread runs an inference as a leader.
    static LEADING: Cell<*const Team> = const { Cell::new(std::ptr::null()) };
}

impl Team {
    fn new() -> Team {
        Team { state: AtomicU64::new(0), done: AtomicUsize::new(0), task: AtomicPtr::new(std::ptr::null_mut()), finished: AtomicBool::new(true) }
    }

    /// Run `body` on this thread as the leader of a team: `helpers` jobs are spawned on the rayon pool and help
    /// with every task until the body returns. The leader never waits for a helper to start (a thread may take
    /// milliseconds to wake in a VM): a late helper finds the inference over and returns, or helps the next one.
    pub fn lead<R>(helpers: usize, body: impl FnOnce() -> R) -> R {
        let team = TEAM.with(Arc::clone);
        team.finished.store(false, Release);
        for _ in 0..helpers {
            let team = Arc::clone(&team);
            rayon::spawn(move || team.help());
        }
        // Helpers must stop even if the body unwinds (native tests), or they would spin forever.
        struct Finish<'t>(&'t Team);
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                LEADING.with(|l| l.set(std::ptr::null()));
                self.0.finished.store(true, Release);
            }
        }
        let _finish = Finish(&team);
        LEADING.with(|l| l.set(&*team));
        body()
    }

    /// The team this thread leads, if it is running an inference.
    pub fn current() -> Option<&'static Team> {
        // SAFETY: the pointer is set only for the duration of `lead`'s body, on the thread running it, and
        // cleared before the team is dropped; callers use the reference within a layer, inside that body.
        LEADING.with(|l| unsafe { l.get().as_ref() })
    }

    /// Run `run(b)` for every `b < blocks` across the team; returns when all have finished.
    pub fn run(&self, blocks: usize, run: &(dyn Fn(usize) + Sync)) {
        assert!(blocks <= MAX_BLOCKS);
        let task = Task { run };
        self.done.store(0, Relaxed);
        self.task.store(&task as *const Task as *mut (), Relaxed);
        let number = (self.state.load(Relaxed) >> 32).wrapping_add(1) & 0xffff_ffff;
        // Release: a helper whose claim succeeds on this state sees `task` and `done` as stored above.
        self.state.store(number << 32 | blocks as u64, Release);
        while let Some(b) = self.claim(Side::Front) {
            run(b);
            self.done.fetch_add(1, Release);
        }
        while self.done.load(Acquire) < blocks {
            spin_loop();
        }
    }

    /// Claim the first (leader) or last (helpers) unclaimed block of the current task, if one is left.
    fn claim(&self, side: Side) -> Option<usize> {
        let mut s = self.state.load(Acquire);
        loop {
            let (front, back) = ((s >> 16) & 0xffff, s & 0xffff);
            if front >= back {
                return None;
            }
            let (claimed, next) = match side {
                Side::Front => (front, s + (1 << 16)),
                Side::Back => (back - 1, s - 1),
            };
            match self.state.compare_exchange_weak(s, next, AcqRel, Acquire) {
                Ok(_) => return Some(claimed as usize),
                Err(now) => s = now,
            }
        }
    }

    /// A helper: run claimed blocks until the inference is over.
    fn help(&self) {
        loop {
            if let Some(b) = self.claim(Side::Back) {
                // SAFETY: the claim succeeded on the task's own state word, published after `task`; the leader
                // keeps the task alive until every claimed block is counted in `done`.
                let task = unsafe { &*(self.task.load(Acquire) as *const Task) };
                (task.run)(b);
                self.done.fetch_add(1, Release);
            } else if self.finished.load(Acquire) {
                return;
            } else {
                spin_loop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block of every task runs exactly once, whatever the team size and block counts, and a task's blocks
    /// all finish before `run` returns.
    #[test]
    fn every_block_runs_once_per_task() {
        for threads in [1, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let counts: Vec<AtomicUsize> = (0..700).map(|_| AtomicUsize::new(0)).collect();
            let total = pool.install(|| {
                Team::lead(threads - 1, || {
                    let team = Team::current().expect("inside lead");
                    let mut total = 0;
                    for (task, blocks) in [1usize, 2, 7, 64, 300, 0, 5, 700].into_iter().enumerate() {
                        team.run(blocks, &|b| {
                            counts[b].fetch_add(task + 1, Relaxed);
                        });
                        let sum: usize = counts.iter().map(|c| c.swap(0, Relaxed)).sum();
                        assert_eq!(sum, blocks * (task + 1), "task {task}: {blocks} blocks, {threads} threads");
                        total += blocks;
                    }
                    total
                })
            });
            assert_eq!(total, 1 + 2 + 7 + 64 + 300 + 5 + 700);
            assert!(Team::current().is_none(), "the team ends with the inference");
        }
    }
}
