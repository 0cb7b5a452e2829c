// Ranked predictions as a list of labelled probability bars. The rows are created once and updated in place, so
// a live camera only changes text and one transform per row per frame.

/** ImageNet labels list synonyms ("hotdog, hot dog, red hot"): the first is shown large, the rest small. */
export function splitLabel(label) {
  const [primary, ...aliases] = label.split(', ');
  return { primary, aliases: aliases.join(', ') };
}

export function percent(p) {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.1 ? 1 : 0)} %`;
}

/** Width of a bar's fill (CSSOM, which a strict style-src CSP allows, unlike style attributes). */
export function setBar(fill, p) {
  fill.style.transform = `scaleX(${Math.max(0, Math.min(1, p)).toFixed(4)})`;
}

export class RankedBars {
  #rows;

  /** @param {HTMLOListElement} list @param {number} count rows shown */
  constructor(list, count = 5) {
    this.#rows = Array.from({ length: count }, () => {
      const li = document.createElement('li');
      const name = Object.assign(document.createElement('span'), { className: 'name' });
      const alias = Object.assign(document.createElement('span'), { className: 'alias' });
      const pct = Object.assign(document.createElement('span'), { className: 'pct' });
      const bar = Object.assign(document.createElement('div'), { className: 'bar' });
      const fill = Object.assign(document.createElement('div'), { className: 'fill' });
      bar.setAttribute('aria-hidden', 'true');
      bar.append(fill);
      li.append(name, pct, alias, bar);
      li.hidden = true;
      list.append(li);
      return { li, name, alias, pct, fill, label: null };
    });
  }

  /** @param {{ label: string, probability: number }[]} predictions best first */
  render(predictions) {
    this.#rows.forEach((row, i) => {
      const p = predictions[i];
      row.li.hidden = !p;
      if (!p) return;
      if (row.label !== p.label) {
        const { primary, aliases } = splitLabel(p.label);
        row.name.textContent = primary;
        row.alias.textContent = aliases;
        row.li.dataset.label = p.label;
        row.label = p.label;
      }
      row.pct.textContent = percent(p.probability);
      setBar(row.fill, p.probability);
    });
  }

  clear() {
    this.render([]);
  }
}
