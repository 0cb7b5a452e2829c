// Makes a Y4M video (what Chromium's --use-file-for-fake-video-capture reads) from a real photo, at test time, with no
// extra dependencies: the browser decodes and scales the image on a canvas, Node converts RGBA to I420 (BT.601 full
// range, "C420jpeg") and writes the file. Frames repeat the same picture.
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';

const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bmp': 'image/bmp' };

/** Render `imagePath` centred ("cover") into width×height RGBA pixels using a Playwright page. */
export async function rasterize(page, imagePath, width, height) {
  const b64 = (await readFile(imagePath)).toString('base64');
  const url = `data:${MIME[extname(imagePath).toLowerCase()] ?? 'image/png'};base64,${b64}`;
  const data = await page.evaluate(async ({ url, width, height }) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = new OffscreenCanvas(width, height);
    const ctx = c.getContext('2d');
    const s = Math.max(width / img.width, height / img.height);
    const w = img.width * s, h = img.height * s;
    ctx.drawImage(img, (width - w) / 2, (height - h) / 2, w, h);
    return Array.from(ctx.getImageData(0, 0, width, height).data);
  }, { url, width, height });
  return Uint8Array.from(data);
}

/** RGBA → one I420 frame. */
function i420(rgba, width, height) {
  const y = new Uint8Array(width * height);
  const u = new Uint8Array((width / 2) * (height / 2));
  const v = new Uint8Array((width / 2) * (height / 2));
  const clamp = (x) => Math.max(0, Math.min(255, Math.round(x)));
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const p = (j * width + i) * 4;
      y[j * width + i] = clamp(0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2]);
    }
  }
  for (let j = 0; j < height / 2; j++) {
    for (let i = 0; i < width / 2; i++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const p = ((2 * j + dy) * width + 2 * i + dx) * 4;
        r += rgba[p]; g += rgba[p + 1]; b += rgba[p + 2];
      }
      r /= 4; g /= 4; b /= 4;
      u[j * (width / 2) + i] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      v[j * (width / 2) + i] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return [y, u, v];
}

/** Write `frames` identical frames of the image as a Y4M file. */
export async function writeY4m(page, imagePath, outPath, { width = 640, height = 480, frames = 10 } = {}) {
  const [y, u, v] = i420(await rasterize(page, imagePath, width, height), width, height);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  await writeFile(outPath, Buffer.concat([header, ...Array(frames).fill(frame)]));
}
