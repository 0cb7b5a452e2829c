// Images as input: a file picker, drag-and-drop anywhere on the page, and paste (Ctrl/Cmd+V). Every path ends in
// one File/Blob handed to `onImage`; nothing is uploaded anywhere.

function firstImage(files) {
  return [...(files ?? [])].find((f) => f.type.startsWith('image/')) ?? null;
}

/**
 * @param {{ fileInput: HTMLInputElement, onImage: (image: Blob, name: string) => void,
 *   onReject: (message: string) => void }} o
 */
export function watchImageInput({ fileInput, onImage, onReject }) {
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    if (!file.type.startsWith('image/') && file.type !== '') onReject(`${file.name} is not an image.`);
    else onImage(file, file.name);
    fileInput.value = ''; // choosing the same file again fires 'change' again
  });

  const root = document.documentElement;
  let depth = 0; // dragenter/dragleave fire for every child crossed
  const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  document.addEventListener('dragenter', (e) => {
    if (!carriesFiles(e)) return;
    depth++;
    root.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) root.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (e) => {
    depth = 0;
    root.classList.remove('dragging');
    if (!e.dataTransfer) return;
    e.preventDefault();
    const file = firstImage(e.dataTransfer.files);
    if (file) onImage(file, file.name);
    else if (e.dataTransfer.types.includes('text/uri-list')) {
      onReject('Drop an image file. Images dragged from other sites are not fetched: this page makes no requests elsewhere.');
    } else onReject('That was not an image file.');
  });

  document.addEventListener('paste', (e) => {
    const target = e.target;
    if (target instanceof HTMLInputElement && target.type === 'text') return; // pasting into a class name
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
    const file = item?.getAsFile();
    if (!file) return;
    e.preventDefault();
    onImage(file, 'pasted image');
  });
}
