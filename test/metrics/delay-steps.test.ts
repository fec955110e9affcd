// A call whose delay changes mid-call (a new network profile, a handover): the full-reference scores must
// follow the delay from utterance to utterance, wherever the step falls, without matching the wrong
// utterance of a looped reference.
import assert from 'node:assert/strict';
import { localAlign } from '../../src/metrics/local-align.js';
import { scoreSpeech, type SpeechQuality } from '../../src/metrics/score.js';
import { loadSpeech, RATE, whiteNoise } from './diagnostics-fixtures.js';

/** [from output time s, delay ms]: the delay in force from that time of the recording on. */
type DelaySteps = Array<[number, number]>;

/**
 * The reference as a listener would hear it through a path whose delay steps: each sample of the recording
 * comes from the reference `delay` earlier. A step up replays the last (step) of audio, a step down skips it;
 * in a pause both are silence. Faint noise, so that the scores are below the ceiling and can fall.
 */
function throughSteps(reference: Float32Array, steps: DelaySteps): Float32Array {
  const noise = whiteNoise(3, reference.length + RATE, 0.0004);
  return noise.map((value, n) => {
    const delayMs = steps.filter(([atS]) => n >= atS * RATE).at(-1)![1];
    const source = n - Math.round((delayMs * RATE) / 1000);
    return value + (source >= 0 && source < reference.length ? reference[source] : 0);
  });
}

function windowScores(quality: SpeechQuality): number[] {
  return quality.windows.map((w) => w.mosLqo ?? NaN);
}

describe('scores of a call whose delay steps', function () {
  this.timeout(30_000);
  /** The shipped speech twice over, as a call's reference loop: utterances at 0.30-2.70, 2.92-7.88, 8.30-9.96 s, then again from 10.56 s. */
  let loop: Float32Array;
  let steady: SpeechQuality;

  before(async () => {
    const speech = await loadSpeech();
    loop = new Float32Array(2 * speech.length);
    loop.set(speech);
    loop.set(speech, speech.length);
    steady = scoreSpeech(loop, RATE, throughSteps(loop, [[0, 60]]), RATE, { visqol: false });
  });

  /** Every window, and the call, within 0.3 of the same audio at a steady 60 ms. */
  function assertLikeSteady(steps: DelaySteps): SpeechQuality {
    const quality = scoreSpeech(loop, RATE, throughSteps(loop, steps), RATE, { visqol: false });
    const [expected, got] = [windowScores(steady), windowScores(quality)];
    assert.equal(got.length, expected.length);
    got.forEach((score, i) => assert.ok(Math.abs(score - expected[i]) <= 0.3, `window ${i}: ${got.join(' ')} against ${expected.join(' ')} at a steady delay`));
    assert.ok(Math.abs(quality.mosLqo - steady.mosLqo) <= 0.3, `mosLqo ${quality.mosLqo} against ${steady.mosLqo}`);
    return quality;
  }

  it('scores a steady delay as the baseline: good speech, slightly noisy', () => {
    assert.ok(steady.mosLqo > 3.5 && steady.mosLqo < 4.4, `mosLqo ${steady.mosLqo}`);
    assert.deepEqual(steady.delayRangeMs, [60, 60]);
  });

  it('follows 60 -> 360 ms in a pause, and says where each window stood', () => {
    const quality = assertLikeSteady([[0, 60], [10.4, 360]]);
    assert.equal(quality.delayMs, 360, 'the global delay is the majority one');
    assert.deepEqual(quality.delayRangeMs, [60, 360]);
    assert.deepEqual(quality.windows.map((w) => w.delayMs), [60, 60, 60, 60, 60, 360, 360, 360, 360, 360]);
    assert.ok(quality.stoi > 0.99, `STOI ${quality.stoi}`);
  });

  it('follows 360 -> 60 ms in a pause that the step shortens to 0.3 s', () => {
    const quality = assertLikeSteady([[0, 360], [10.4, 60]]);
    assert.deepEqual(quality.delayRangeMs, [60, 360]);
  });

  it('follows a step in the middle of an utterance, early or late in the call', () => {
    assertLikeSteady([[0, 60], [5, 360]]);
    assertLikeSteady([[0, 60], [2, 360]]);
  });

  it('follows three steps: up mid-utterance, down in a pause, up 400 ms mid-utterance', () => {
    const quality = assertLikeSteady([[0, 60], [5.5, 360], [10.4, 160], [15.5, 560]]);
    assert.deepEqual(quality.delayRangeMs, [60, 560]);
  });

  it('does not score another utterance of the loop, at a plausible delay, as a match', () => {
    const recording = throughSteps(loop, [[0, 200]]);
    // The first prompt's place holds the third utterance instead (8.30-9.96 s), 200 ms late.
    recording.fill(0, 0, Math.round(2.85 * RATE));
    recording.set(loop.subarray(Math.round(8.3 * RATE), Math.round(9.96 * RATE)), Math.round(0.5 * RATE));
    const quality = scoreSpeech(loop, RATE, recording, RATE, { visqol: false });
    const [first, second, ...rest] = windowScores(quality);
    assert.ok(first < 1.5 && second < 2, `the wrong utterance scored ${first}, ${second}`);
    rest.forEach((score, i) => assert.ok(Math.abs(score - windowScores(steady)[i + 2]) <= 0.3, `window ${i + 2}: ${score}`));
    assert.deepEqual(quality.delayRangeMs, [200, 200]);
    const first3 = localAlign(loop, recording, RATE, { globalDelayMs: 200 }).segments[0];
    assert.equal(first3.matched, false, JSON.stringify(first3));
  });

  it('does not count the audio still in flight when the recording ends, after the delay grew', () => {
    // A caller cuts the reference where the recording ends less the global delay (60 ms): with 360 ms at
    // the end, the last 300 ms of reference speech cannot be in the recording.
    const recording = throughSteps(loop, [[0, 60], [10.4, 360]]).subarray(0, Math.round(17 * RATE));
    const heard = loop.subarray(0, Math.round(16.92 * RATE));
    const quality = scoreSpeech(heard, RATE, recording, RATE, { visqol: false });
    assert.ok(Math.abs(quality.mosLqo - steady.mosLqo) <= 0.3, `mosLqo ${quality.mosLqo} against ${steady.mosLqo}`);
  });
});
