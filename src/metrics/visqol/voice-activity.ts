/**
 * ViSQOL speech mode's choice of reference patches: patches of 20 frames starting at frame 9, 29, 49, ...,
 * kept when the reference has voice in at least one 20 ms chunk of the patch's stretch of samples.
 */

export const PATCH_FRAMES = 20;
export const FIRST_PATCH_FRAME = PATCH_FRAMES / 2 - 1;
const VOICED_RMS = 5000;
/** A quiet chunk counts as silent only when the chunks before it are quiet too (this many in all). */
const SILENT_RUN = 3;

/**
 * Start frames of the voiced reference patches. As upstream, the voice detector reads the reference
 * normalized by its largest sample and quantized to 16 bits, from sample 9 (the first patch's frame index,
 * used as a sample index) in chunks of one hop. `peak` is the reference's largest sample, when the caller has it.
 */
export function voicedPatchStarts(reference: Float64Array, frames: number, hop: number, peak = largest(reference)): number[] {
  if (frames <= FIRST_PATCH_FRAME) return [];
  const patchCount = Math.floor((frames - FIRST_PATCH_FRAME) / PATCH_FRAMES);
  const voiced = chunkVoiceActivity(reference, peak, FIRST_PATCH_FRAME, patchCount * PATCH_FRAMES * hop, hop);
  const starts: number[] = [];
  for (let patch = 0; patch < patchCount; patch++) {
    let active = 0;
    for (let chunk = patch * PATCH_FRAMES; chunk < (patch + 1) * PATCH_FRAMES; chunk++) active += voiced[chunk] ? 1 : 0;
    if (active >= 1) starts.push(FIRST_PATCH_FRAME + patch * PATCH_FRAMES);
  }
  return starts;
}

function largest(values: Float64Array): number {
  let peak = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > peak) peak = values[i];
  return peak;
}

function chunkVoiceActivity(reference: Float64Array, peak: number, start: number, length: number, chunkSize: number): boolean[] {
  const loud: boolean[] = [];
  let squares = 0;
  let inChunk = 0;
  for (let i = start; i < start + length; i++) {
    const scaled = (reference[i] / peak) * 32768;
    const sample = Math.trunc(Math.max(-32768, Math.min(32767, scaled)));
    squares += sample * sample;
    if (++inChunk === chunkSize) {
      loud.push(Math.sqrt(squares / chunkSize) >= VOICED_RMS);
      squares = 0;
      inChunk = 0;
    }
  }
  // The first chunks always count as voiced, to avoid missing speech that starts at once.
  const voiced: boolean[] = [];
  for (let i = 0; i < SILENT_RUN - 1; i++) voiced.push(true);
  for (let i = SILENT_RUN - 1; i < loud.length; i++) {
    let silentRun = !loud[i];
    for (let back = 1; back < SILENT_RUN && silentRun; back++) silentRun = !loud[i - back];
    voiced.push(!silentRun);
  }
  return voiced;
}
