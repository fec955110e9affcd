/**
 * ViSQOL's preparation of a spectrogram pair for comparison: decibels, an absolute floor, a floor per frame
 * 45 dB under the louder of the two frames' peaks, then both shifted so the lowest value is 0.
 */
import { BAND_COUNT, type Spectrogram } from './gammatone.js';

const ABSOLUTE_FLOOR_DB = -45;
const FLOOR_BELOW_FRAME_PEAK_DB = 45;

/** Prepares copies of the two spectrograms; the inputs (band RMS values) are left as they are. */
export function prepareForComparison(reference: Spectrogram, degraded: Spectrogram): [Spectrogram, Spectrogram] {
  const ref = toFlooredDb(reference);
  const deg = toFlooredDb(degraded);
  const frames = Math.min(ref.frames, deg.frames);
  for (let t = 0; t < frames; t++) {
    let peak = -Infinity;
    for (let band = 0; band < BAND_COUNT; band++) {
      peak = Math.max(peak, ref.data[band * ref.frames + t], deg.data[band * deg.frames + t]);
    }
    const floor = peak - FLOOR_BELOW_FRAME_PEAK_DB;
    for (let band = 0; band < BAND_COUNT; band++) {
      const r = band * ref.frames + t;
      const d = band * deg.frames + t;
      if (ref.data[r] < floor) ref.data[r] = floor;
      if (deg.data[d] < floor) deg.data[d] = floor;
    }
  }
  const lowest = Math.min(minimum(ref.data), minimum(deg.data));
  for (const { data } of [ref, deg]) for (let i = 0; i < data.length; i++) data[i] -= lowest;
  return [ref, deg];
}

function toFlooredDb(spectrogram: Spectrogram): Spectrogram {
  const data = new Float64Array(spectrogram.data.length);
  for (let i = 0; i < data.length; i++) {
    const magnitude = Math.abs(spectrogram.data[i]);
    // Upstream takes machine epsilon for an exact zero.
    data[i] = Math.max(ABSOLUTE_FLOOR_DB, 10 * Math.log10(magnitude === 0 ? Number.EPSILON : magnitude));
  }
  return { frames: spectrogram.frames, data };
}

function minimum(values: Float64Array): number {
  let lowest = Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] < lowest) lowest = values[i];
  return lowest;
}
