// Copies the .tflite models of a data folder into the demo's (git-ignored) models folder and writes models.json:
// name, file, size, sha256, and α / resolution / dtype parsed from the standard MobileNet V1 file names.
// Usage: node tools/model-index.mjs SRC_DIR DEST_DIR
import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const [src, dest] = process.argv.slice(2);
await mkdir(dest, { recursive: true });
const models = [];
for (const file of (await readdir(src)).filter((f) => f.endsWith('.tflite')).sort()) {
  const bytes = await readFile(join(src, file));
  await copyFile(join(src, file), join(dest, file));
  const m = /mobilenet_v1_([0-9.]+)_(\d+)(_quant)?\.tflite$/.exec(file);
  models.push({
    name: file.replace(/\.tflite$/, ''),
    file,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    alpha: m ? Number(m[1]) : null,
    resolution: m ? Number(m[2]) : null,
    dtype: m ? (m[3] ? 'uint8' : 'float32') : null,
  });
}
// Largest accurate-but-fast default first: 1.0/224 uint8 when present.
models.sort((a, b) => (b.alpha ?? 0) - (a.alpha ?? 0) || (b.resolution ?? 0) - (a.resolution ?? 0) || a.name.localeCompare(b.name));
await writeFile(join(dest, 'models.json'), JSON.stringify({ models }, null, 2) + '\n');
console.log(`models: ${models.map((m) => m.name).join(', ')}`);
