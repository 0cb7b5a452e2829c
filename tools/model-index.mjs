// Copies the .tflite models of a data folder into the demo's (git-ignored) models folder and writes models.json:
// name, file, size, sha256 (the demo passes it to load() as `integrity`), and α / resolution / dtype parsed from
// the standard MobileNet V1 file names, plus the default model.
// Usage: node tools/model-index.mjs SRC_DIR DEST_DIR   (tools/assemble-demo.mjs imports indexModels)
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The most accurate published uint8 model: the demo opens with it when the data folder has it. */
export const DEFAULT_MODEL = 'mobilenet_v1_1.0_224_quant';

/** @returns {Promise<{ default: string, models: object[] }>} what was written to DEST/models.json */
export async function indexModels(src, dest) {
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
  if (models.length === 0) throw new Error(`no .tflite model in ${src}`);
  // Largest first (α, then resolution), so the picker reads from most accurate to fastest.
  models.sort((a, b) => (b.alpha ?? 0) - (a.alpha ?? 0) || (b.resolution ?? 0) - (a.resolution ?? 0) || a.name.localeCompare(b.name));
  const index = { default: models.some((m) => m.name === DEFAULT_MODEL) ? DEFAULT_MODEL : models[0].name, models };
  await writeFile(join(dest, 'models.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [src, dest] = process.argv.slice(2);
  if (!src || !dest) throw new Error('usage: node tools/model-index.mjs SRC_DIR DEST_DIR');
  const index = await indexModels(src, dest);
  console.log(`models: ${index.models.map((m) => m.name).join(', ')} (default ${index.default})`);
}
