#!/usr/bin/env bash
# mobilenet-wasm build driver. Subcommands:
#   setup   install every tool the project needs (idempotent; safe to re-run on a fresh machine)
#   build   build the wasm builds (pkg/web*), the npm package (pkg/npm + its tarball) and the demo (dist/www)
#   package assemble the npm package and `npm pack` it from the wasm builds already in pkg/ (alias: pack)
#   demo    build, then serve the demo on http://127.0.0.1:${PORT:-8080}/
#   demo-soak  build, then ${DEMO_SOAK_FRAMES:-2000} fake-webcam frames through the demo page; memory must stay flat
#   test    run every test suite (native, wasm in Node, headless Chrome, headless Firefox)
#   bench   build, then the side-by-side benchmark vs TFLite/TF.js/ORT wasm (bench/, BENCHMARKS.md); args pass through
#   fuzz    [SECONDS [TARGET...]] run each cargo-fuzz target (fuzz/) for SECONDS (default 60), one at a time at nice 19
#   soak    ${SOAK_FRAMES:-10000} frames through the wasm API in Node; wasm memory must stay flat (tests/soak.rs)
# Models and golden data come from $MOBILENET_DATA (default ../shared/data, next to the project root).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export MOBILENET_DATA=${MOBILENET_DATA:-$ROOT/../shared/data}
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

WASM_PACK_VERSION=0.15.1
WASM_BINDGEN_VERSION=0.2.130
GECKODRIVER_VERSION=0.37.1
CARGO_FUZZ_VERSION=0.13.2

log() { printf '\033[1m[build.sh]\033[0m %s\n' "$*" >&2; }

have_version() { # have_version CMD VERSION: CMD --version mentions VERSION
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"
}

# Tools built by `cargo install` are ours to run, not to ship: a light optimisation profile (no LTO, many codegen
# units, opt-level 1) builds them in about half the time of their own release profiles (geckodriver: 2.4 min vs 5).
tool_install() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true cargo install "$@"
}

cmd_setup() {
  local apt_pid=""
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v firefox >/dev/null; then
    # apt mostly waits on the network and disk: let it run while cargo compiles the Rust tools.
    log "installing chromium, chromium-driver, firefox-esr (apt, in the background)"
    ( export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq chromium chromium-driver firefox-esr >/dev/null ) &
    apt_pid=$!
  fi
  rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  rustup component list --installed | grep -q rust-src || rustup component add rust-src
  rustup component list --installed | grep -q clippy || rustup component add clippy
  have_version wasm-pack "$WASM_PACK_VERSION" || tool_install --locked wasm-pack --version "$WASM_PACK_VERSION"
  # wasm-bindgen-cli's own lockfile pins a webpki-roots the registry lacks: install without --locked.
  have_version wasm-bindgen "$WASM_BINDGEN_VERSION" || tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  have_version geckodriver "$GECKODRIVER_VERSION" || tool_install --locked geckodriver --version "$GECKODRIVER_VERSION"
  if [ -n "$apt_pid" ]; then
    wait "$apt_pid" || { log "ERROR: apt-get install chromium chromium-driver firefox-esr failed"; exit 1; }
  fi
  # npm's binaryen (Debian's v108 wasm-opt breaks wasm-bindgen output) and playwright-core for e2e tests.
  if [ ! -x .tools/node_modules/.bin/wasm-opt ] || [ ! -d .tools/node_modules/playwright-core ]; then
    log "installing npm tools into .tools/"
    (cd .tools && npm ci --no-audit --no-fund --silent)
  fi
  if [ ! -d "$MOBILENET_DATA/models" ]; then
    log "WARNING: no models at \$MOBILENET_DATA=$MOBILENET_DATA. Point MOBILENET_DATA at a folder holding"
    log "  models/*.tflite, labels/, golden/ (see README.md, 'Models')."
  fi
  log "setup done"
}


need_data() {
  if [ ! -f "$MOBILENET_DATA/models/mobilenet_v1_1.0_224_quant.tflite" ]; then
    log "ERROR: no models under MOBILENET_DATA=$MOBILENET_DATA."
    log "  Point MOBILENET_DATA at a folder with models/*.tflite, labels/ and golden/ (README.md, 'Models')."
    exit 1
  fi
}

# Single-thread SIMD128 build for the web (ES module + .wasm), the npm package's default build.
cmd_build() {
  need_data
  log "building wasm (simd128, --target web) into pkg/web"
  wasm-pack build --release --target web --out-dir pkg/web --out-name mobilenet_wasm --no-pack
  build_threads
  build_relaxed
  check_no_i64x2_mul pkg/web pkg/web-threads pkg/web-relaxed
  local raw gz
  raw=$(stat -c %s pkg/web/mobilenet_wasm_bg.wasm); gz=$(gzip -9 -c pkg/web/mobilenet_wasm_bg.wasm | wc -c)
  log "wasm: $raw bytes raw, $gz bytes gzip"
  cmd_package
  # The demo imports the npm package as served files (dist/www/mobilenet-wasm/); models are copied from the data
  # folder into this git-ignored output, never committed; the service worker is stamped with the shell's hash.
  log "assembling the demo in dist/www"
  node tools/assemble-demo.mjs dist/www
}

# Threaded build (wasm-bindgen-rayon): shared memory needs atomics in std itself, so std is rebuilt (-Z build-std,
# allowed on stable through RUSTC_BOOTSTRAP) with explicit shared-memory link args, in its own target dir because
# RUSTFLAGS replace .cargo/config.toml's.
THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 \
 -C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824 \
 -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align \
 -C link-arg=--export=__tls_base"
build_threads() {
  log "building wasm (simd128 + threads, --target web) into pkg/web-threads"
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$THREADS_RUSTFLAGS" CARGO_TARGET_DIR=target-threads \
    wasm-pack build --release --target web --out-dir pkg/web-threads --out-name mobilenet_wasm --no-pack \
    -- --features threads -Z build-std=panic_abort,std
}

# Relaxed-SIMD build: the float kernels fuse their multiply-adds (f32x4.relaxed_madd: one FMA where the CPU has
# it), within 1e-5 of TFLite instead of bit-exact. Same API as pkg/web, for engines that validate relaxed SIMD.
# Its own target dir because RUSTFLAGS replace .cargo/config.toml's.
RELAXED_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd"
build_relaxed() {
  log "building wasm (simd128 + relaxed-simd, --target web) into pkg/web-relaxed"
  RUSTFLAGS="$RELAXED_RUSTFLAGS" CARGO_TARGET_DIR=target-relaxed \
    wasm-pack build --release --target web --out-dir pkg/web-relaxed --out-name mobilenet_wasm --no-pack
}

# V8 on x64 has no 64-bit lane multiply and emulates `i64x2.mul` with eight instructions. The kernels only need
# `i64x2.extmul_*_i32x4_s`; LLVM emits a full `i64x2.mul` instead when a sign extension ends up in another block
# (src/kernels/q8/requant_simd128.rs, `StageVec::multiplier`), which cost up to 5 % of a whole network. Fail then.
check_no_i64x2_mul() {
  local dir n
  for dir in "$@"; do
    n=$(wasm-dis "$dir/mobilenet_wasm_bg.wasm" | grep -c 'i64x2\.mul' || true)
    if [ "$n" != 0 ]; then
      log "ERROR: $dir/mobilenet_wasm_bg.wasm has $n i64x2.mul (an extmul pattern was lost; see StageVec::multiplier)"
      exit 1
    fi
  done
  log "no i64x2.mul in the wasm builds"
}

# The npm package: js/ (loader, worker, API, types) + every wasm build present in pkg/ → pkg/npm, packed into
# pkg/mobilenet-wasm-<version>.tgz, the release artefact (tests/consumers install exactly that file).
cmd_package() {
  log "assembling the npm package in pkg/npm"
  node js/assemble.mjs pkg/npm
  rm -f pkg/mobilenet-wasm-*.tgz
  local tgz
  tgz=$(cd pkg/npm && npm pack --pack-destination .. --silent)
  log "npm package: pkg/$tgz, $(stat -c %s "pkg/$tgz") bytes ($(tar -tzf "pkg/$tgz" | wc -l) files)"
}

cmd_demo() {
  cmd_build
  log "serving dist/www"
  exec node tools/serve.mjs dist/www "${PORT:-8080}"
}

# The demo soak (not in `test`: minutes): frames through the page in headless Chromium, memory checked flat.
cmd_demo_soak() {
  cmd_build
  log "demo soak: ${DEMO_SOAK_FRAMES:-2000} webcam frames through the page"
  nice -n 10 node tests/e2e/soak-demo.mjs --frames "${DEMO_SOAK_FRAMES:-2000}" "$@"
}

# Every suite. Each wasm-pack run must report a non-zero count of executed tests (it exits 0 when it skips all).
# Each suite has a deadline (SUITE_TIMEOUT_S for compiled suites, SCRIPT_TIMEOUT_S for browser scripts): a hung
# suite fails with its name in the log instead of using up the CI run's time.
TOTAL_PASSED=0
SUITES=()
run_counted() { # run_counted NAME CMD...: run, show output, fail on error or on zero tests executed
  local name=$1; shift
  local out; out=$(mktemp)
  local t0=$SECONDS
  log "suite: $name (starts ${SECONDS} s into the run)"
  if ! timeout --kill-after=30 "${SUITE_TIMEOUT_S:-1800}" "$@" 2>&1 | tee "$out"; then
    log "FAILED: $name (exit or timeout after $((SECONDS - t0)) s)"; rm -f "$out"; return 1
  fi
  local n
  n=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$out" | awk '{s+=$4} END {print s+0}')
  rm -f "$out"
  if [ "$n" -eq 0 ]; then log "FAILED: $name executed no tests"; return 1; fi
  TOTAL_PASSED=$((TOTAL_PASSED + n))
  SUITES+=("$name: $n passed ($((SECONDS - t0)) s)")
}

run_script() { # run_script NAME CMD...: a suite that ends with an 'N passed, M failed' line
  local name=$1; shift
  local out; out=$(mktemp)
  local t0=$SECONDS
  log "suite: $name (starts ${SECONDS} s into the run)"
  if ! timeout --kill-after=30 "${SCRIPT_TIMEOUT_S:-900}" "$@" 2>&1 | tee "$out"; then
    log "FAILED: $name (exit or timeout after $((SECONDS - t0)) s)"; rm -f "$out"; return 1
  fi
  local n
  n=$(grep -Eo '^[0-9]+ passed, 0 failed' "$out" | tail -1 | awk '{print $1}')
  rm -f "$out"
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then log "FAILED: $name executed no tests"; return 1; fi
  TOTAL_PASSED=$((TOTAL_PASSED + n))
  SUITES+=("$name: $n passed ($((SECONDS - t0)) s)")
}

cmd_test() {
  need_data
  cmd_setup
  log "setup took $SECONDS s"
  set -o pipefail
  # One optimised test profile for every suite (Cargo.toml, [profile.test-ci]): no LTO so test binaries link fast,
  # overflow checks and debug assertions on as the fuzzers run them.
  local t_lint=$SECONDS
  log "lint: cargo clippy, native and wasm32, every target, warnings are errors"
  cargo clippy --all-targets --features threads -- -D warnings
  cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
  SUITES+=("lint (clippy, native and wasm32): $((SECONDS - t_lint)) s")
  run_counted "native (cargo test)" cargo test --profile test-ci --lib --tests
  # The threaded build's scheduling (src/parallel/team.rs) natively: its unit test and the goldens on the pool.
  run_counted "native, threads feature (team scheduler, goldens on 2+ threads)" cargo test --profile test-ci --features threads --lib --test golden
  run_counted "wasm32 in Node" wasm-pack test --node -- --profile test-ci
  WASM_BINDGEN_USE_BROWSER=1 run_counted "wasm32 in headless Chrome" wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" -- --profile test-ci
  WASM_BINDGEN_USE_BROWSER=1 run_counted "wasm32 in headless Firefox" wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" -- --profile test-ci
  # The relaxed-SIMD build against the goldens and the float kernel tests, the parts relaxed SIMD changes (Node 20
  # still needs the V8 flag; later Node ships the feature).
  local relaxed_node_args=""
  node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && relaxed_node_args=--experimental-wasm-relaxed-simd
  NODE_ARGS=$relaxed_node_args RUSTFLAGS="$RELAXED_RUSTFLAGS" CARGO_TARGET_DIR=target-relaxed \
    run_counted "wasm32 relaxed-SIMD build in Node" wasm-pack test --node -- --profile test-ci --test golden --test kernels_f32
  local t0=$SECONDS
  cmd_build
  SUITES+=("build (3 wasm builds, npm package, demo): $((SECONDS - t0)) s")
  run_script "demo page e2e (headless Chromium, fake webcams, offline, CSP)" node tests/e2e/demo.mjs
  run_script "threaded build e2e (golden suite in a Worker, with and without isolation, Chromium and Firefox)" node tests/e2e/threads.mjs
  run_script "npm package consumers (Node, tsc, Vite, webpack 5, plain ESM in headless Chromium)" node tests/consumers/run.mjs
  for s in "${SUITES[@]}"; do log "$s"; done
  log "all suites passed in $SECONDS s"
  echo "tests: $TOTAL_PASSED passed, 0 failed"
}

# The side-by-side benchmark (not a test). Its peers are dev dependencies of bench/ only, installed from
# bench/package-lock.json when node_modules is missing or older than the lockfile.
cmd_bench() {
  if [ ! bench/node_modules/.package-lock.json -nt bench/package-lock.json ]; then
    log "installing bench dependencies (bench/package-lock.json)"
    (cd bench && npm ci --no-audit --no-fund --silent)
  fi
  node bench/bench.mjs "$@"
}

# Fuzzing (RELIABILITY.md). cargo-fuzz needs a nightly toolchain for libFuzzer's instrumentation.
FUZZ_TARGETS=(model_load model_spec model_bytes classify_pixels classify_image)
FUZZ_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
setup_fuzz() {
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  have_version cargo-fuzz "$CARGO_FUZZ_VERSION" || cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
}

# Per-target libFuzzer options: input size bounds, memory limits tight enough that any allocation beyond what the
# caps allow is reported as a crash (malloc_limit_mb: one allocation; rss_limit_mb: the whole process), and a
# per-input timeout with room for loading a 4 MB real model in an instrumented build on a busy machine.
fuzz_options() {
  case "$1" in
    model_load) echo "-max_len=16384 -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=10" ;;
    model_spec) echo "-max_len=4096 -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=10" ;;
    model_bytes) echo "-max_len=4400000 -rss_limit_mb=1536 -malloc_limit_mb=256 -timeout=120" ;;
    classify_pixels) echo "-max_len=65536 -rss_limit_mb=512 -malloc_limit_mb=64 -timeout=30" ;;
    classify_image) echo "-max_len=1048576 -rss_limit_mb=512 -malloc_limit_mb=64 -timeout=30" ;;
  esac
}

cmd_fuzz() {
  local seconds=${1:-60}
  [ $# -gt 0 ] && shift
  local targets=("$@")
  [ ${#targets[@]} -eq 0 ] && targets=("${FUZZ_TARGETS[@]}")
  need_data
  setup_fuzz
  log "building the fuzz targets (nightly, AddressSanitizer, debug assertions)"
  nice -n 19 cargo +nightly fuzz build
  # Seeds go to the git-ignored fuzz/corpus: generated tiny models and images, plus the real models and images.
  mkdir -p fuzz/corpus/model_spec fuzz/corpus/classify_pixels fuzz/artifacts/logs
  nice -n 19 cargo run --quiet --release --manifest-path fuzz/Cargo.toml --bin write_seeds -- fuzz/corpus
  cp "$MOBILENET_DATA"/models/*.tflite fuzz/corpus/model_bytes/
  mkdir -p fuzz/corpus/model_load
  find fuzz/corpus/model_bytes -type f -size -16k -exec cp {} fuzz/corpus/model_load/ \;
  cp "$MOBILENET_DATA"/images/*.jpg "$MOBILENET_DATA"/images/*.png "$MOBILENET_DATA"/images/*.bmp fuzz/corpus/classify_image/
  local failed=() t log_file
  for t in "${targets[@]}"; do
    log_file=fuzz/artifacts/logs/$t.$(date +%Y%m%d-%H%M%S).log
    log "fuzzing $t for ${seconds}s (log: $log_file)"
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    # The binary `cargo fuzz build` made, run directly so that no rebuild happens between targets.
    # shellcheck disable=SC2046
    if ASAN_OPTIONS=quarantine_size_mb=64 nice -n 19 "fuzz/target/$FUZZ_TRIPLE/release/$t" "fuzz/corpus/$t" \
        -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$seconds" -print_final_stats=1 \
        $(fuzz_options "$t") >"$log_file" 2>&1; then
      log "$t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log_file" | tail -1), corpus $(ls "fuzz/corpus/$t" | wc -l) inputs"
    else
      log "$t: FAILED, see $log_file and fuzz/artifacts/$t/"
      tail -30 "$log_file" >&2
      failed+=("$t")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then log "crashes in: ${failed[*]}"; exit 1; fi
  log "fuzzing done: no crash, timeout or out-of-memory"
}

# The soak (not in `test`: it takes minutes): 10 000 frames through the wasm API in Node, memory checked flat.
cmd_soak() {
  need_data
  log "soak: ${SOAK_FRAMES:-10000} frames through the wasm API in Node"
  SOAK_FRAMES=${SOAK_FRAMES:-10000} nice -n 10 wasm-pack test --release --node -- --test soak -- --include-ignored --nocapture
}

case "${1:-}" in
  setup) cmd_setup ;;
  build) cmd_setup; cmd_build ;;
  package|pack) cmd_setup; cmd_package ;;
  demo) cmd_setup; cmd_demo ;;
  demo-soak) shift; cmd_setup; cmd_demo_soak "$@" ;;
  test) cmd_test ;;
  bench) shift; cmd_setup; cmd_build; cmd_bench "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  soak) cmd_setup; cmd_soak ;;
  *) echo "usage: $0 {setup|build|package|demo|demo-soak [args]|test|bench [args]|fuzz [seconds [target...]]|soak}" >&2; exit 2 ;;
esac
