// Held-out check of mosLqo on voices and conditions it was not fitted on. Builds new references
// (espeak-ng en/fr/es, and Asterisk en prompts other than media/speech-en-16k.wav's), degrades them
// with the calibration set's conditions (remade with sox/ffmpeg/own code) and with new ones (earshot's
// own Opus and G.711 codecs with their loss concealment, jitter-buffer warps), then reports:
// - Spearman between mosLqo's per-condition mean and the calibration set's mean PESQ-WB per condition;
// - whether each severity series (more loss, more noise, lower bitrate) scores monotonically lower.
// Needs espeak-ng (apt-get install -y espeak-ng), sox, ffmpeg with libopus, asterisk-core-sounds-en-g722.
// Generated audio goes to a temporary folder that is deleted at the end.
// Run: node dist/bench/heldout-mos-lqo.js [--data DIR]   (calibration scores; default ../shared/data/calibration)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, type AudioCodec } from '../src/media/codec.js';
import { mosLqo } from '../src/metrics/mos-lqo/index.js';
import { resample } from '../src/util/index.js';
import { spearman } from './stats.js';
import { seededRandom, gaussian } from '../src/util/index.js';

const RATE = 16_000;
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'earshot-heldout-'));
const ASTERISK_EN = '/usr/share/asterisk/sounds/en';

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function readRaw(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

let fileCounter = 0;
function writeRaw(signal: Float32Array): string {
  const path = join(work, `s${fileCounter++}.f32`);
  writeFileSync(path, Buffer.from(signal.buffer, signal.byteOffset, signal.byteLength));
  return path;
}

const RAW_IN = (path: string) => ['-t', 'f32', '-r', String(RATE), '-c', '1', path];

/** Runs sox from raw 16 kHz float to raw 16 kHz float through `middle` (an intermediate file format) or effects. */
function sox(signal: Float32Array, effects: string[]): Float32Array {
  const out = join(work, `s${fileCounter++}.f32`);
  run('sox', [...RAW_IN(writeRaw(signal)), '-t', 'f32', '-r', String(RATE), '-c', '1', out, ...effects]);
  return readRaw(out);
}

function throughSoxFormat(signal: Float32Array, args: string[], extension: string): Float32Array {
  const coded = join(work, `s${fileCounter++}.${extension}`);
  const out = join(work, `s${fileCounter++}.f32`);
  run('sox', [...RAW_IN(writeRaw(signal)), ...args, coded]);
  run('sox', [coded, '-t', 'f32', '-r', String(RATE), '-c', '1', out]);
  return readRaw(out);
}

function ffmpegOpus(signal: Float32Array, kbps: number): Float32Array {
  const coded = join(work, `s${fileCounter++}.opus`);
  const out = join(work, `s${fileCounter++}.f32`);
  run('ffmpeg', ['-v', 'error', '-f', 'f32le', '-ar', String(RATE), '-ac', '1', '-i', writeRaw(signal), '-c:a', 'libopus', '-b:a', `${kbps}k`, '-vbr', 'on', '-frame_duration', '20', coded]);
  run('ffmpeg', ['-v', 'error', '-i', coded, '-f', 'f32le', '-ar', String(RATE), '-ac', '1', out]);
  return fit(readRaw(out), signal.length);
}

function fit(signal: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(signal.subarray(0, length));
  return out;
}

/** Mean power of the 20 ms frames within 30 dB of the loudest: a rough active speech level. */
function activePower(signal: Float32Array): number {
  const powers: number[] = [];
  for (let start = 0; start + 320 <= signal.length; start += 320) {
    let sum = 0;
    for (let i = start; i < start + 320; i++) sum += signal[i] ** 2;
    powers.push(sum / 320);
  }
  const loudest = Math.max(...powers);
  const active = powers.filter((p) => p > loudest / 1000);
  return active.reduce((a, b) => a + b, 0) / active.length;
}

function withNoise(signal: Float32Array, snrDb: number, seed: number, pink = false): Float32Array {
  const next = seededRandom(seed);
  const noise = Float32Array.from(signal, () => gaussian(next));
  // Pink: Paul Kellet's economy filter, roughly -3 dB/octave.
  if (pink) {
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    for (let i = 0; i < noise.length; i++) {
      const white = noise[i];
      b0 = 0.99765 * b0 + white * 0.099046;
      b1 = 0.963 * b1 + white * 0.2965164;
      b2 = 0.57 * b2 + white * 1.0526913;
      noise[i] = b0 + b1 + b2 + white * 0.1848;
    }
  }
  const noisePower = noise.reduce((s, v) => s + v * v, 0) / noise.length;
  const scale = Math.sqrt((activePower(signal) * 10 ** (-snrDb / 10)) / noisePower);
  return signal.map((v, i) => v + scale * noise[i]);
}

function clipped(signal: Float32Array, share: number): Float32Array {
  const magnitudes = Float32Array.from(signal, Math.abs).sort();
  const threshold = magnitudes[Math.floor((1 - share) * magnitudes.length)];
  return signal.map((v) => Math.max(-threshold, Math.min(threshold, v)));
}

function zeroedFrames(signal: Float32Array, share: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = Float32Array.from(signal);
  for (let start = 0; start + 320 <= out.length; start += 320) if (next() < share) out.fill(0, start, start + 320);
  return out;
}

function delayedQuieter(signal: Float32Array): Float32Array {
  const out = new Float32Array(signal.length + 2400);
  out.set(signal.map((v) => v * 10 ** (-5 / 20)), 2400);
  return out;
}

/** Encodes 20 ms frames with one of earshot's codecs and decodes them, concealing the lost ones. */
function throughCodec(signal: Float32Array, codec: AudioCodec, lossShare: number, seed: number, burst = 1): Float32Array {
  const next = seededRandom(seed);
  const atCodecRate = resample(signal, RATE, codec.sampleRate);
  const decoded: Int16Array[] = [];
  let lostLeft = 0;
  for (let start = 0; start + codec.frameSamples <= atCodecRate.length; start += codec.frameSamples) {
    const frame = Int16Array.from(atCodecRate.subarray(start, start + codec.frameSamples), (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
    const payload = codec.encode(frame);
    if (lostLeft === 0 && next() < lossShare / burst) lostLeft = burst;
    if (lostLeft > 0) {
      lostLeft--;
      decoded.push(codec.conceal());
    } else {
      decoded.push(codec.decode(payload));
    }
  }
  codec.close();
  const joined = new Float32Array(decoded.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of decoded) {
    for (let i = 0; i < d.length; i++) joined[offset + i] = d[i] / 32768;
    offset += d.length;
  }
  return fit(resample(joined, codec.sampleRate, RATE), signal.length);
}

/** A jitter buffer's adaptation: at random, a 20 ms chunk is repeated (buffer grows) or dropped (shrinks), `events` times. */
function jitterWarp(signal: Float32Array, events: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const chunks: Float32Array[] = [];
  for (let start = 0; start < signal.length; start += 320) chunks.push(signal.subarray(start, Math.min(signal.length, start + 320)));
  const positions = new Set<number>();
  while (positions.size < events) positions.add(1 + Math.floor(next() * (chunks.length - 2)));
  const out: Float32Array[] = [];
  chunks.forEach((chunk, i) => {
    if (!positions.has(i)) out.push(chunk);
    else if (next() < 0.5) out.push(chunk, chunk);
  });
  const joined = new Float32Array(out.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of out) {
    joined.set(c, offset);
    offset += c.length;
  }
  return joined;
}

type Condition = [name: string, make: (reference: Float32Array, seed: number) => Float32Array];

const conditions: Condition[] = [
  ['identity', (r) => r],
  ['delay150_gain_m5', (r) => delayedQuieter(r)],
  ...[7, 10, 14, 20, 32].map((k): Condition => [`opus_${k}k`, (r) => ffmpegOpus(r, k)]),
  ['dropout_zero03', (r, s) => zeroedFrames(r, 0.03, s)],
  ['dropout_zero10', (r, s) => zeroedFrames(r, 0.1, s)],
  ['g711_mulaw', (r) => throughSoxFormat(r, ['-r', '8000', '-e', 'u-law', '-t', 'wav'], 'wav')],
  ['g711_alaw', (r) => throughSoxFormat(r, ['-r', '8000', '-e', 'a-law', '-t', 'wav'], 'wav')],
  ['gsm_fr', (r) => throughSoxFormat(r, ['-r', '8000', '-t', 'gsm'], 'gsm')],
  ...[15, 20, 30].map((snr): Condition => [`wnoise_snr${snr}`, (r, s) => withNoise(r, snr, s)]),
  ['pnoise_snr15', (r, s) => withNoise(r, 15, s, true)],
  ['lp2800', (r) => sox(r, ['sinc', '-2800'])],
  ['lp4000', (r) => sox(r, ['sinc', '-4000'])],
  ['clip_3pct', (r) => clipped(r, 0.03)],
  // New conditions, not in the calibration set.
  ...[0, 2, 5, 10, 20].map((p): Condition => [`earshot_opus24k_plc_loss${String(p).padStart(2, '0')}`, (r, s) => throughCodec(r, createCodec('opus', { opus: { bitrate: 24000, fec: false, expectedLossPercent: 0 } }), p / 100, s)]),
  ...[0, 2, 5, 10, 20].map((p): Condition => [`earshot_pcmu_plc_loss${String(p).padStart(2, '0')}`, (r, s) => throughCodec(r, createCodec('PCMU'), p / 100, s)]),
  ...[5, 10].map((p): Condition => [`earshot_pcmu_plc_burst3_loss${String(p).padStart(2, '0')}`, (r, s) => throughCodec(r, createCodec('PCMU'), p / 100, s, 3)]),
  ...[2, 6, 12].map((n): Condition => [`jitter_warp_${String(n).padStart(2, '0')}events`, (r, s) => jitterWarp(r, n, s)]),
  ['wnoise_snr10', (r, s) => withNoise(r, 10, s)],
  ['wnoise_snr40', (r, s) => withNoise(r, 40, s)],
];

/** Series that must score monotonically lower, left to right. */
const series: string[][] = [
  ['earshot_opus24k_plc_loss00', 'earshot_opus24k_plc_loss02', 'earshot_opus24k_plc_loss05', 'earshot_opus24k_plc_loss10', 'earshot_opus24k_plc_loss20'],
  ['earshot_pcmu_plc_loss00', 'earshot_pcmu_plc_loss02', 'earshot_pcmu_plc_loss05', 'earshot_pcmu_plc_loss10', 'earshot_pcmu_plc_loss20'],
  ['wnoise_snr40', 'wnoise_snr30', 'wnoise_snr20', 'wnoise_snr15', 'wnoise_snr10'],
  ['opus_32k', 'opus_20k', 'opus_14k', 'opus_10k', 'opus_7k'],
  ['identity', 'dropout_zero03', 'dropout_zero10'],
  ['identity', 'lp4000', 'lp2800'],
  ['identity', 'jitter_warp_02events', 'jitter_warp_06events', 'jitter_warp_12events'],
  ['earshot_pcmu_plc_loss05', 'earshot_pcmu_plc_burst3_loss05'],
];

function prepare(signal: Float32Array): Float32Array {
  const mean = signal.reduce((s, v) => s + v, 0) / signal.length;
  const target = 10 ** (-26 / 10); // -26 dBov active level, full-scale sine = 0 dBov... close enough
  const scale = Math.sqrt(target / activePower(signal.map((v) => v - mean)));
  return signal.map((v) => (v - mean) * scale);
}

function join300ms(parts: Float32Array[]): Float32Array {
  const gap = new Float32Array(0.3 * RATE);
  const pieces = [gap, ...parts.flatMap((p) => [p, gap])];
  const out = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function trimmed(path: string, inputArgs: string[]): Float32Array {
  const out = join(work, `s${fileCounter++}.f32`);
  run('ffmpeg', ['-v', 'error', ...inputArgs, '-i', path, '-af', 'silenceremove=start_periods=1:start_threshold=-45dB,areverse,silenceremove=start_periods=1:start_threshold=-45dB,areverse', '-f', 'f32le', '-ar', String(RATE), '-ac', '1', out]);
  return readRaw(out);
}

function espeak(voice: string, sentences: string[]): Float32Array {
  return prepare(
    join300ms(
      sentences.map((text) => {
        const wav = join(work, `s${fileCounter++}.wav`);
        run('espeak-ng', ['-v', voice, '-s', '150', '-w', wav, text]);
        return trimmed(wav, []);
      }),
    ),
  );
}

function asterisk(prompts: string[]): Float32Array {
  return prepare(join300ms(prompts.map((p) => trimmed(join(ASTERISK_EN, `${p}.g722`), ['-f', 'g722']))));
}

function calibrationMeans(dir: string): Map<string, number> {
  const lines = readFileSync(join(dir, 'scores.csv'), 'utf8').trim().split('\n').slice(1);
  const sums = new Map<string, number[]>();
  for (const line of lines) {
    const cells = line.split(',');
    sums.set(cells[1], [...(sums.get(cells[1]) ?? []), Number(cells[4])]);
  }
  return new Map([...sums].map(([c, v]) => [c, v.reduce((a, b) => a + b, 0) / v.length]));
}

function main(): void {
  const flag = process.argv.indexOf('--data');
  const dataDir = flag >= 0 && process.argv[flag + 1] ? resolve(process.argv[flag + 1]) : resolve(projectRoot, '../shared/data/calibration');
  const voices: [string, Float32Array][] = [
    ['espeak_en', espeak('en', ['Your call is important to us.', 'Please hold the line, an agent will answer shortly.', 'Thank you for waiting.'])],
    ['espeak_fr', espeak('fr', ['Veuillez patienter, nous recherchons votre correspondant.', 'Merci de votre appel.'])],
    ['espeak_es', espeak('es', ['Por favor, espere un momento.', 'Su llamada será atendida en breve.', 'Gracias por llamar.'])],
    ['asterisk_en', asterisk(['check-number-dial-again', 'call-forwarding', 'agent-loginok'])],
  ];
  const scores = new Map<string, number[]>();
  for (const [voice, reference] of voices) {
    console.log(`${voice}: ${(reference.length / RATE).toFixed(1)} s`);
    conditions.forEach(([name, make], index) => {
      const degraded = make(reference, 1000 + index * 17 + voice.length);
      const score = mosLqo(reference, degraded, RATE).mosLqo;
      scores.set(name, [...(scores.get(name) ?? []), score]);
    });
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const calibration = calibrationMeans(dataDir);
  console.log(`\n${'condition'.padEnd(34)} ${voices.map(([v]) => v.padStart(12)).join('')}   mean  calib PESQ-WB`);
  for (const [name] of conditions) {
    const s = scores.get(name)!;
    const calib = calibration.get(name);
    console.log(`${name.padEnd(34)} ${s.map((x) => x.toFixed(2).padStart(12)).join('')} ${mean(s).toFixed(2).padStart(6)}  ${calib === undefined ? '' : calib.toFixed(2)}`);
  }
  const matching = conditions.map(([name]) => name).filter((name) => calibration.has(name));
  const rho = spearman(matching.map((n) => mean(scores.get(n)!)), matching.map((n) => calibration.get(n)!));
  console.log(`\nSpearman, held-out mean mosLqo vs calibration mean PESQ-WB over ${matching.length} matching conditions: ${rho.toFixed(4)}`);
  for (const [voice] of voices) {
    const i = voices.findIndex(([v]) => v === voice);
    const r = spearman(matching.map((n) => scores.get(n)![i]), matching.map((n) => calibration.get(n)!));
    console.log(`  ${voice.padEnd(12)} ${r.toFixed(4)}`);
  }
  console.log('\nseverity series (mean over voices; each step should score lower):');
  for (const steps of series) {
    const means = steps.map((n) => mean(scores.get(n)!));
    const ok = means.every((m, i) => i === 0 || m < means[i - 1]);
    const perVoiceOk = voices.every((_, v) => steps.every((n, i) => i === 0 || scores.get(n)![v] < scores.get(steps[i - 1])![v]));
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${perVoiceOk ? '(every voice)' : '(not every voice)'} ${steps.map((n, i) => `${n} ${means[i].toFixed(2)}`).join(' > ')}`);
  }
}

try {
  main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
