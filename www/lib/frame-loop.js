// Runs one inference step per new camera frame and never starts a step while the previous one is in flight, so
// frames cannot pile up however slow the model is: a slow model simply skips the frames it had no time for.

export class FrameLoop {
  #video;
  #step;
  #onError;
  #running = false;
  #pending = null; // { cancel } of the scheduled callback
  #inFlight = 0;
  /** The most steps ever in flight at once (the e2e suite checks that it stays 1). */
  maxInFlight = 0;

  /**
   * @param {HTMLVideoElement} video
   * @param {() => Promise<void>} step one frame's work
   * @param {(e: unknown) => void} onError a failed step; the loop goes on
   */
  constructor(video, step, onError) {
    this.#video = video;
    this.#step = step;
    this.#onError = onError;
  }

  get running() {
    return this.#running;
  }

  start() {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop() {
    this.#running = false;
    this.#pending?.cancel(); // a callback waiting for a frame of a stream that may never come back
    this.#pending = null;
  }

  #schedule() {
    if (!this.#running || this.#pending || this.#inFlight > 0) return;
    const tick = () => {
      this.#pending = null;
      this.#tick();
    };
    // requestVideoFrameCallback fires once per new decoded frame (none while the tab is hidden); older browsers
    // fall back to animation frames, where a step may see the same frame twice.
    const video = this.#video;
    if (typeof video.requestVideoFrameCallback === 'function') {
      const handle = video.requestVideoFrameCallback(tick);
      this.#pending = { cancel: () => video.cancelVideoFrameCallback(handle) };
    } else {
      const handle = requestAnimationFrame(tick);
      this.#pending = { cancel: () => cancelAnimationFrame(handle) };
    }
  }

  async #tick() {
    if (!this.#running) return;
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      await this.#step();
    } catch (e) {
      this.#onError(e);
    } finally {
      this.#inFlight--;
    }
    this.#schedule();
  }
}
