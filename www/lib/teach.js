// Teach mode: the user names 2+ classes, holds a class's button while showing it to the camera, and frames are
// then classified by k-nearest-neighbour over the model's embeddings (knn.js). Examples (embeddings and small
// JPEG snapshots, the latter for the thumbnails and for re-learning after a model switch) live in this page's
// memory only: they are never stored or sent, and a reload forgets them.
import { KnnClassifier } from './knn.js';
import { percent, setBar } from './results-view.js';

export const MAX_EXAMPLES_PER_CLASS = 200;
const THUMBNAILS_SHOWN = 6;

export class TeachMode {
  knn = new KnnClassifier({ k: 7 });
  #list;
  #note;
  #classes = new Map(); // id → { name, snapshots: Blob[], row: {...} }
  #nextId = 1;
  #capturing = null; // class id while its button is held
  #oneShot = null; // class id of a press too short to span a frame: still gets one example
  #busy = false; // re-learning after a model switch
  #generation = 0; // of relearn() calls: a newer model switch supersedes an unfinished re-learning
  #onCaptureStart;

  /**
   * @param {{ list: HTMLElement, addButton: HTMLButtonElement, clearButton: HTMLButtonElement, note: HTMLElement,
   *   onCaptureStart: (id: string) => void }} o onCaptureStart: a capture button went down
   */
  constructor({ list, addButton, clearButton, note, onCaptureStart }) {
    this.#list = list;
    this.#note = note;
    this.#onCaptureStart = onCaptureStart;
    addButton.addEventListener('click', () => this.addClass().row.name.focus());
    clearButton.addEventListener('click', () => this.clearAll());
    this.addClass();
    this.addClass();
  }

  /** The class a frame's embedding should be added to now (a held button, or one short press), else null. */
  takeCaptureRequest() {
    const id = this.#capturing ?? this.#oneShot;
    this.#oneShot = null;
    return this.#busy ? null : id;
  }

  get capturing() {
    return this.#capturing;
  }

  nameOf(id) {
    return this.#classes.get(id)?.name ?? '';
  }

  addClass(name = `Class ${this.#nextId}`) {
    const id = `c${this.#nextId++}`;
    const entry = { name, snapshots: [], row: this.#makeRow(id, name) };
    this.#classes.set(id, entry);
    this.knn.addClass(id);
    this.#list.append(entry.row.li);
    this.#refresh();
    return entry;
  }

  removeClass(id) {
    const entry = this.#classes.get(id);
    if (!entry) return;
    this.#stopCapture();
    this.#clearThumbnails(entry);
    entry.row.li.remove();
    this.#classes.delete(id);
    this.knn.deleteClass(id);
    this.#refresh();
  }

  clearClass(id) {
    const entry = this.#classes.get(id);
    if (!entry) return;
    this.knn.clearClass(id);
    entry.snapshots = [];
    this.#clearThumbnails(entry);
    this.#refresh();
  }

  clearAll() {
    for (const id of this.#classes.keys()) this.clearClass(id);
  }

  /**
   * Store one example: its embedding (for the k-NN) and a snapshot of what the camera saw (thumbnail, and the
   * input for re-embedding with another model).
   * @returns {boolean} false when the class is full or gone
   */
  addExample(id, embedding, snapshot) {
    const entry = this.#classes.get(id);
    if (!entry || this.knn.count(id) >= MAX_EXAMPLES_PER_CLASS) {
      if (entry) this.#say(`${entry.name} has the maximum of ${MAX_EXAMPLES_PER_CLASS} examples.`);
      this.#stopCapture();
      return false;
    }
    if (this.knn.dimension !== 0 && embedding.length !== this.knn.dimension) return false; // a frame of the old model
    if (!this.knn.addExample(id, embedding)) return false;
    entry.snapshots.push(snapshot);
    this.#addThumbnail(entry, snapshot);
    this.#refresh();
    return true;
  }

  /**
   * Classify one embedding and show the scores.
   * @returns {{ id: string, name: string, confidence: number } | null} null until 2 classes have examples
   */
  predict(embedding) {
    if (this.#busy || this.knn.classesWithExamples() < 2 || embedding.length !== this.knn.dimension) {
      this.showScores(null);
      return null;
    }
    const result = this.knn.predict(embedding);
    this.showScores(result);
    return result?.best ? { id: result.best, name: this.nameOf(result.best), confidence: result.confidence } : null;
  }

  showScores(result) {
    for (const [id, { row }] of this.#classes) {
      const share = result?.scores.get(id);
      row.li.classList.toggle('best', result?.best === id);
      row.pct.textContent = share === undefined ? '–' : percent(share);
      setBar(row.fill, share ?? 0);
    }
  }

  /**
   * Re-embed every stored snapshot with a newly loaded model (embeddings of two models are not comparable).
   * A later call (another model switch) supersedes this one, which then stops quietly.
   */
  async relearn(clf) {
    const generation = ++this.#generation;
    const total = [...this.#classes.values()].reduce((n, e) => n + e.snapshots.length, 0);
    this.knn.clearExamples();
    if (total === 0) return;
    this.#busy = true;
    this.#stopCapture();
    this.#setCaptureEnabled(false);
    let done = 0;
    try {
      for (const [id, entry] of this.#classes) {
        for (const snapshot of [...entry.snapshots]) {
          this.#say(`Re-learning the examples with the new model: ${done} / ${total}…`);
          const embedding = await clf.embed(snapshot);
          if (generation !== this.#generation) return;
          if (this.#classes.has(id)) this.knn.addExample(id, embedding);
          done++;
        }
      }
    } catch (e) {
      if (generation === this.#generation) throw e;
    } finally {
      if (generation === this.#generation) {
        this.#busy = false;
        this.#setCaptureEnabled(true);
        this.#refresh();
      }
    }
  }

  #say(text) {
    this.#note.textContent = text;
  }

  #refresh() {
    for (const [id, entry] of this.#classes) {
      const n = this.knn.count(id);
      entry.row.count.textContent = `${n} example${n === 1 ? '' : 's'}`;
      entry.row.li.dataset.count = String(n);
      entry.row.remove.disabled = this.#classes.size <= 2;
    }
    if (this.#busy) return;
    const ready = this.knn.classesWithExamples();
    this.#say(
      ready >= 2
        ? 'Classifying by the nearest examples. Add more examples from varied angles to make it surer.'
        : `Add examples to ${2 - ready} more class${ready === 1 ? '' : 'es'}: point the camera at something and hold its button.`,
    );
    if (ready < 2) this.showScores(null);
  }

  #setCaptureEnabled(enabled) {
    for (const { row } of this.#classes.values()) row.capture.disabled = !enabled;
  }

  #startCapture(id) {
    if (this.#busy) return;
    this.#capturing = id;
    this.#oneShot = id;
    this.#classes.get(id)?.row.capture.setAttribute('aria-pressed', 'true');
    this.#onCaptureStart(id);
  }

  /** Stop capturing; with `id`, only if that class is the one capturing (another button's blur must not stop it). */
  #stopCapture(id = this.#capturing) {
    if (this.#capturing === null || id !== this.#capturing) return;
    this.#classes.get(this.#capturing)?.row.capture.setAttribute('aria-pressed', 'false');
    this.#capturing = null;
  }

  #addThumbnail(entry, snapshot) {
    const img = new Image();
    img.alt = '';
    img.src = URL.createObjectURL(snapshot);
    entry.row.thumbs.prepend(img);
    while (entry.row.thumbs.children.length > THUMBNAILS_SHOWN) {
      const old = entry.row.thumbs.lastElementChild;
      URL.revokeObjectURL(old.src);
      old.remove();
    }
  }

  #clearThumbnails(entry) {
    for (const img of entry.row.thumbs.querySelectorAll('img')) URL.revokeObjectURL(img.src);
    entry.row.thumbs.replaceChildren();
  }

  #makeRow(id, name) {
    const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);
    const li = el('li', { className: 'class-row' });
    li.dataset.class = id;
    const head = el('div', { className: 'class-head' });
    // autocomplete off: a class name is no personal data for the browser to remember or look up.
    const nameInput = el('input', { className: 'class-name', type: 'text', value: name, maxLength: 40, spellcheck: false, autocomplete: 'off' });
    nameInput.setAttribute('aria-label', 'Class name');
    const count = el('span', { className: 'count' });
    const remove = el('button', { className: 'icon remove', type: 'button', textContent: '✕', title: 'Remove this class' });
    head.append(nameInput, count, remove);

    const score = el('div', { className: 'class-score' });
    const bar = el('div', { className: 'bar' });
    const fill = el('div', { className: 'fill' });
    bar.setAttribute('aria-hidden', 'true');
    bar.append(fill);
    const pct = el('span', { className: 'pct', textContent: '–' });
    score.append(bar, pct);

    const actions = el('div', { className: 'class-actions' });
    const capture = el('button', { className: 'capture', type: 'button', textContent: 'Hold to add examples' });
    capture.setAttribute('aria-pressed', 'false');
    const clear = el('button', { className: 'secondary clear', type: 'button', textContent: 'Clear' });
    actions.append(capture, clear);
    const thumbs = el('div', { className: 'thumbs' });
    thumbs.setAttribute('aria-hidden', 'true');
    li.append(head, score, actions, thumbs);

    const label = () => {
      const n = this.#classes.get(id)?.name ?? name;
      capture.setAttribute('aria-label', `Hold to add examples of ${n}`);
      clear.setAttribute('aria-label', `Clear the examples of ${n}`);
      remove.setAttribute('aria-label', `Remove the class ${n}`);
    };
    nameInput.addEventListener('input', () => {
      const entry = this.#classes.get(id);
      if (entry) entry.name = nameInput.value.trim() || `Class ${id.slice(1)}`;
      label();
    });
    remove.addEventListener('click', () => this.removeClass(id));
    clear.addEventListener('click', () => this.clearClass(id));
    // Hold to capture: pointer (mouse, touch, pen) and keyboard (Space / Enter held down).
    capture.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      capture.setPointerCapture?.(e.pointerId);
      this.#startCapture(id);
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) {
      capture.addEventListener(type, () => this.#stopCapture(id));
    }
    capture.addEventListener('keydown', (e) => {
      if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
        e.preventDefault();
        this.#startCapture(id);
      }
    });
    capture.addEventListener('keyup', (e) => {
      if (e.key === ' ' || e.key === 'Enter') this.#stopCapture(id);
    });
    capture.addEventListener('contextmenu', (e) => e.preventDefault()); // a long press on a phone
    label();
    return { li, name: nameInput, count, remove, capture, clear, pct, fill, thumbs };
  }
}
