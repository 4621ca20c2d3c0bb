// The upload panel: a file picker and a drop zone, both starting the upload at once, with a
// progress bar fed by the request's upload progress.

import { uploadFile } from './api.js';
import { byId, formatBytes } from './dom.js';

/**
 * Wires the upload panel.
 * @param {{ onUploaded: (job: { id: string, status: string }) => void }} options
 */
export function createUploadPanel(options) {
  const input = /** @type {HTMLInputElement} */ (byId('file'));
  const dropzone = byId('dropzone');
  const skipInvalid = /** @type {HTMLInputElement} */ (byId('skip-invalid'));
  const status = byId('upload-status');
  const bar = /** @type {HTMLProgressElement} */ (byId('upload-progress'));
  const text = byId('upload-text');
  const errorBox = byId('upload-error');
  let busy = false;

  /** @param {File} file */
  async function upload(file) {
    if (busy) {
      errorBox.textContent = 'Please wait until the current upload finishes.';
      return;
    }
    busy = true;
    errorBox.textContent = '';
    status.hidden = false;
    bar.value = 0;
    text.textContent = `Uploading ${file.name} (${formatBytes(file.size)})…`;
    try {
      const job = await uploadFile(file, {
        query: skipInvalid.checked ? { onInvalid: 'skip' } : {},
        onProgress(loaded, total) {
          bar.value = total ? loaded / total : 0;
          text.textContent = `Uploading ${file.name}: ${Math.floor((loaded / total) * 100)}%`;
        },
      });
      bar.value = 1;
      text.textContent = `Uploaded ${file.name}; job ${job.id} is ${job.status}.`;
      options.onUploaded(job);
    } catch (error) {
      status.hidden = true;
      errorBox.textContent = `Upload of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      busy = false;
      input.value = '';
    }
  }

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) upload(file);
  });

  for (const type of ['dragenter', 'dragover']) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    dropzone.addEventListener(type, () => dropzone.classList.remove('dragging'));
  }
  dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    const files = event.dataTransfer?.files;
    if (!files || files.length === 0) return;
    const file = files[0];
    if (file) upload(file);
    if (files.length > 1) errorBox.textContent = 'One file at a time: uploading the first only.';
  });
  // A file dropped next to the zone would otherwise make the browser navigate away to it.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}
