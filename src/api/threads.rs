//! Thread-pool glue of the threaded build: re-exports wasm-bindgen-rayon's `initThreadPool(n)` (call it once, from
//! a Worker, before the first classification) and reports the pool size. In the single-thread builds the pool is
//! absent and `threadCount()` is 1.

use wasm_bindgen::prelude::*;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Threads inference uses: the pool size in the threaded build, 1 otherwise.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> u32 {
    crate::parallel::threads() as u32
}

/// Whether this wasm build was compiled with thread support.
#[wasm_bindgen(js_name = threadsSupported)]
pub fn threads_supported() -> bool {
    cfg!(feature = "threads")
}
