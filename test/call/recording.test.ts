// On a clean network, what earshot records is the far end's reference speech: aligned, in full, with no gaps,
// no added noise and no drift. Checked on real calls through the lab's Prosody, for G.711 and Opus.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Endpoint, type CallLegResult, type ReferenceAudio } from '../../src/call/index.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { downmix, readAudio, recordingPathProblem, resample } from '../../src/media/index.js';
import { estimateDelay, normalizedCorrelation } from '../../src/metrics/index.js';
import { loadReference } from '../../src/cli/media-options.js';
import { sharedLab } from '../helpers/lab.js';

const EXCERPT_S = 2.4;
const MEDIA_S = 3.4;

/** 2.4 s of the shipped speech (from 0.3 s, where speech starts), played in a loop. */
async function excerpt(): Promise<ReferenceAudio> {
  const full = await loadReference();
  const start = Math.round(0.3 * full.sampleRate);
  return { ...full, samples: full.samples.slice(start, start + Math.round(EXCERPT_S * full.sampleRate)) };
}

async function callAndRecord(codec: 'PCMU' | 'opus', out: string): Promise<{ reference: ReferenceAudio; heard: CallLegResult; recording: Float32Array; rate: number }> {
  const lab = await sharedLab();
  const [caller, callee] = await Promise.all([Endpoint.login(labAccountConfig(lab.info, 'carol')), Endpoint.login(labAccountConfig(lab.info, 'dave'))]);
  try {
    const reference = await excerpt();
    const silence: ReferenceAudio = { path: 'silence', samples: new Float32Array(reference.samples.length), sampleRate: reference.sampleRate };
    const recordPath = join(out, `${codec}.wav`);
    callee.autoAnswer({ allow: ['carol@localhost'], media: { play: silence, loop: true, codecs: [codec], recordPath } });
    const answered = callee.onIncomingCall.next();
    const call = await caller.call('dave@localhost', { play: reference, loop: true, codecs: [codec] });
    const [incoming] = await answered;
    await call.onConnected.next();
    setTimeout(() => call.hangUp(), MEDIA_S * 1000);
    const [, heard] = await Promise.all([call.ended, incoming.ended]);
    const audio = await readAudio(recordPath);
    return { reference, heard, recording: downmix(audio.samples), rate: audio.sampleRate };
  } finally {
    await Promise.all([caller.close(), callee.close()]);
  }
}

/**
 * `minChunkCorrelation` applies to every 100 ms of speech; leave it out for a perceptual codec such as Opus,
 * whose noise-like sounds (fricatives) keep their spectrum but not their waveform.
 */
function checkRecording(reference: ReferenceAudio, recording: Float32Array, rate: number, minCorrelation: number, minChunkCorrelation?: number): { delayMs: number; snrDb: number } {
  const ref = resample(reference.samples, reference.sampleRate, rate);
  const first = estimateDelay(ref, recording, rate, { maxDelayMs: 500 });
  assert.ok(first.delayMs > 0 && first.delayMs < 200, `the first pass is heard ${first.delayMs} ms after it is sent`);
  assert.ok(first.correlation > minCorrelation, `correlation ${first.correlation} with the reference`);

  // In full, no gaps: every 100 ms of the first pass (where the reference speaks) matches at the same delay.
  const offset = Math.round((first.delayMs / 1000) * rate);
  const chunk = Math.round(0.1 * rate);
  for (let start = 0; minChunkCorrelation !== undefined && start + chunk <= ref.length; start += chunk) {
    const expected = ref.subarray(start, start + chunk);
    if (rms(expected) < 0.005) continue;
    const heard = recording.subarray(offset + start, offset + start + chunk);
    const correlation = normalizedCorrelation(expected, heard);
    assert.ok(correlation > minChunkCorrelation, `100 ms at ${(start / rate).toFixed(1)} s correlates only ${correlation.toFixed(3)}`);
  }

  // No drift: the second pass of the loop comes exactly one excerpt later.
  const secondStart = offset + ref.length - Math.round(0.05 * rate);
  const second = estimateDelay(ref.subarray(0, Math.round(0.8 * rate)), recording.subarray(secondStart), rate, { maxDelayMs: 200 });
  const driftMs = second.delayMs - 50;
  assert.ok(Math.abs(driftMs) <= 1, `the second pass is ${driftMs} ms off the first`);

  // No added noise: the recording minus the (level-matched) reference.
  const heard = recording.subarray(offset, offset + ref.length);
  const gain = dot(ref, heard) / dot(ref, ref);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += (gain * ref[i]) ** 2;
    noise += (heard[i] - gain * ref[i]) ** 2;
  }
  return { delayMs: first.delayMs, snrDb: 10 * Math.log10(signal / noise) };
}

describe('recordings of a clean call', function () {
  this.timeout(30_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-recording-'));

  it('G.711: the far end hears the reference aligned, in full, without drift or noise', async () => {
    const { reference, heard, recording, rate } = await callAndRecord('PCMU', out);
    assert.equal(rate, 8000);
    assert.equal(heard.received?.concealed, 0);
    const { snrDb } = checkRecording(reference, recording, rate, 0.99, 0.95);
    assert.ok(snrDb > 25, `SNR ${snrDb.toFixed(1)} dB: G.711 alone allows about 35 dB`);
  });

  it('Opus: the far end hears the reference aligned, in full, without drift', async () => {
    const { reference, heard, recording, rate } = await callAndRecord('opus', out);
    assert.equal(rate, 48000);
    assert.equal(heard.received?.concealed, 0);
    checkRecording(reference, recording, rate, 0.85);
  });
});

describe('a recording path that cannot be written', function () {
  this.timeout(20_000);
  const out = mkdtempSync(join(tmpdir(), 'earshot-unwritable-'));

  it('is refused before a call is placed, saying why', async () => {
    const lab = await sharedLab();
    const caller = await Endpoint.login(labAccountConfig(lab.info, 'carol'));
    try {
      const folder = join(out, 'a-folder.wav');
      mkdirSync(folder);
      await assert.rejects(caller.call('dave@localhost', { play: await excerpt(), recordPath: folder }), /cannot record to .*a-folder\.wav: EISDIR/);
    } finally {
      await caller.close();
    }
  });

  it('makes the callee refuse the call with general-error and say why, instead of failing the connected call', async () => {
    const lab = await sharedLab();
    const [caller, callee] = await Promise.all([Endpoint.login(labAccountConfig(lab.info, 'carol')), Endpoint.login(labAccountConfig(lab.info, 'dave'))]);
    try {
      const notAFolder = join(out, 'plain-file');
      writeFileSync(notAFolder, 'x');
      callee.autoAnswer({ allow: ['carol@localhost'], media: { play: await excerpt(), recordPath: join(notAFolder, 'heard.wav') } });
      const refused = callee.onRefused.next();
      const call = await caller.call('dave@localhost', { play: await excerpt() });
      const [from, why] = await refused;
      assert.equal(from.split('/')[0], 'carol@localhost');
      assert.match(why, /cannot record to .*plain-file\/heard\.wav: ENOTDIR/);
      const result = await call.ended;
      assert.equal(result.end.condition, 'general-error');
      assert.equal(result.end.text, 'earshot cannot write its recording of the call');
      assert.equal(result.end.by, 'remote');
    } finally {
      await Promise.all([caller.close(), callee.close()]);
    }
  });

  it('leaves nothing behind when the check passes', () => {
    const fresh = join(out, 'fresh.wav');
    assert.equal(recordingPathProblem(fresh), undefined);
    assert.equal(existsSync(fresh), false);
  });
});

function rms(signal: Float32Array): number {
  return Math.sqrt(dot(signal, signal) / signal.length);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
