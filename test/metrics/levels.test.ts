import assert from 'node:assert/strict';
import { MetricsInputError } from '../../src/metrics/errors.js';
import { clipping, dropouts, requireSpeech, signalLevels, speechActivity, speechPresence, speechSegments } from '../../src/metrics/levels.js';
import { add, brownNoise, calibrationAvailable, loadCalibration, loadSpeech, pinkNoise, RATE, rms, whiteNoise } from './diagnostics-fixtures.js';

const FRAME = 0.02 * RATE;

describe('levels', () => {
  let speech: Float32Array;

  before(async () => {
    speech = await loadSpeech();
  });

  describe('signalLevels', () => {
    it('reads a full-scale sine as 0 dB peak, -3.01 dB RMS and active level, all of it active', () => {
      const sine = Float32Array.from({ length: 2 * RATE }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / RATE));
      const levels = signalLevels(sine, RATE);
      assert.ok(Math.abs(levels.peakDb) < 0.01);
      assert.ok(Math.abs(levels.rmsDb + 3.01) < 0.01, `rms ${levels.rmsDb}`);
      assert.ok(Math.abs(levels.activeLevelDb + 3.01) < 0.1, `active ${levels.activeLevelDb}`);
      assert.ok(levels.activityFactor > 0.95);
    });

    it('puts speech with pauses above its RMS level, by its activity', () => {
      const levels = signalLevels(speech, RATE);
      assert.ok(levels.activityFactor > 0.6 && levels.activityFactor < 0.95, `activity ${levels.activityFactor}`);
      // Mean power over the active part: RMS level minus 10 log10(activity).
      assert.ok(Math.abs(levels.activeLevelDb - (levels.rmsDb - 10 * Math.log10(levels.activityFactor))) < 0.01);
    });

    it('follows a gain change exactly', () => {
      const quieter = signalLevels(speech.map((sample) => sample * 10 ** (-12 / 20)), RATE);
      assert.ok(Math.abs(quieter.activeLevelDb - signalLevels(speech, RATE).activeLevelDb + 12) < 0.05);
    });

    it('reports digital silence as -Infinity dB, never NaN', () => {
      assert.deepEqual(signalLevels(new Float32Array(RATE), RATE), { rmsDb: -Infinity, peakDb: -Infinity, activeLevelDb: -Infinity, activityFactor: 0 });
    });
  });

  describe('speechPresence', () => {
    it('finds most of the speech and none of the pauses', () => {
      const seconds = speechPresence(speech, RATE);
      assert.ok(seconds > 6 && seconds < 9.5, `${seconds} s`);
    });

    it('says 0 s for silence, white noise, pink noise, rumble and a steady tone', () => {
      const rumble = brownNoise(5, 5 * RATE, 0.1);
      const tone = Float32Array.from({ length: 5 * RATE }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE));
      for (const [name, signal] of [
        ['silence', new Float32Array(5 * RATE)],
        ['white noise', whiteNoise(2, 5 * RATE, 0.1)],
        ['pink noise', pinkNoise(3, 5 * RATE, 0.1)],
        ['rumble', rumble],
        ['tone', tone],
      ] as const) {
        assert.equal(speechPresence(signal, RATE), 0, name);
      }
    });

    it('still finds the speech under white noise at 15 dB SNR', () => {
      const noisy = add(speech, whiteNoise(4, speech.length, rms(speech) * 10 ** (-15 / 20)));
      assert.ok(speechPresence(noisy, RATE) > 0.7 * speechPresence(speech, RATE));
    });
  });

  describe('speechSegments', () => {
    it('joins bursts across a pause shorter than 200 ms and splits them at a longer one', () => {
      const burst = speech.subarray(RATE, 2 * RATE);
      const withPause = (pauseS: number) => {
        const out = new Float32Array(4 * RATE);
        out.set(burst, 0.5 * RATE);
        out.set(burst, 1.5 * RATE + pauseS * RATE);
        return out;
      };
      const segmentsOf = (signal: Float32Array) => speechSegments(speechActivity(signal, RATE), RATE);
      assert.ok(segmentsOf(withPause(0.1)).length < segmentsOf(withPause(0.5)).length);
      const split = segmentsOf(withPause(0.5));
      assert.ok(split.some((segment) => segment.endS <= 2.0) && split.some((segment) => segment.startS >= 2.0), JSON.stringify(split));
    });
  });

  describe('requireSpeech', () => {
    it('says why it refuses: silence, noise, too little speech', () => {
      const verdictOf = (signal: Float32Array) => {
        try {
          requireSpeech(signal, RATE);
          return 'ok';
        } catch (error) {
          assert.ok(error instanceof MetricsInputError);
          return error.verdict;
        }
      };
      const half = new Float32Array(3 * RATE);
      half.set(speech.subarray(RATE, 1.5 * RATE), RATE);
      assert.equal(verdictOf(new Float32Array(3 * RATE)), 'no-speech');
      assert.equal(verdictOf(pinkNoise(8, 3 * RATE, 0.05)), 'no-speech');
      assert.equal(verdictOf(half), 'too-short');
      assert.equal(verdictOf(speech), 'ok');
    });
  });

  describe('clipping', () => {
    it('counts samples at full scale and their runs', () => {
      const sine = Float32Array.from({ length: RATE }, (_, i) => Math.max(-1, Math.min(32767 / 32768, 2 * Math.sin((2 * Math.PI * 100 * i) / RATE))));
      const stats = clipping(sine);
      // |2 sin| >= 1 for two thirds of each period, in two runs: 100 periods, 200 runs of a third of a period.
      assert.ok(Math.abs(stats.clippedRatio - 2 / 3) < 0.01, `ratio ${stats.clippedRatio}`);
      assert.equal(stats.clippedRuns, 200);
      assert.ok(Math.abs(stats.longestRunSamples - RATE / 100 / 3) <= 2, `longest ${stats.longestRunSamples}`);
    });

    it('finds nothing in clean speech', () => {
      assert.deepEqual({ ...clipping(speech), plateauRatio: 0 }, { clippedRatio: 0, clippedRuns: 0, longestRunSamples: 0, plateauRatio: 0 });
      assert.ok(clipping(speech).plateauRatio < 0.001);
    });

    it('does not count a lone full-scale sample as a clipped run', () => {
      const signal = new Float32Array(100);
      signal[50] = 1;
      assert.equal(clipping(signal).clippedRuns, 0);
      assert.equal(clipping(signal).longestRunSamples, 1);
    });

    it('sees audio that was clipped and then turned down: flat tops below full scale', async function () {
      if (!calibrationAvailable) this.skip();
      const stats = clipping(await loadCalibration('ru', 'clip_3pct'));
      assert.equal(stats.clippedRatio, 0);
      assert.ok(Math.abs(stats.plateauRatio - 0.03) < 0.003, `plateau ${stats.plateauRatio}`);
    });
  });

  describe('dropouts', () => {
    it('measures zeroed 20 ms frames inside speech to the sample', () => {
      const degraded = speech.slice();
      const activity = speechActivity(speech, RATE);
      // Zero five frames that hold speech.
      const zeroed = [...activity.speechFrames.keys()].filter((frame) => activity.speechFrames[frame]).filter((_, i) => i % 60 === 30).slice(0, 5);
      assert.equal(zeroed.length, 5);
      for (const frame of zeroed) degraded.fill(0, frame * FRAME, (frame + 1) * FRAME);
      const stats = dropouts(speech, degraded, RATE);
      assert.ok(Math.abs(stats.droppedSeconds - 0.1) < 0.002, `dropped ${stats.droppedSeconds} s`);
      assert.equal(stats.dropouts, 5);
      assert.ok(Math.abs(stats.droppedRatio - 0.1 / activity.speechSeconds) < 0.001);
    });

    it('finds none in the reference itself, nor in noise-filled gaps', () => {
      assert.equal(dropouts(speech, speech, RATE).dropouts, 0);
      assert.equal(dropouts(speech, add(speech, whiteNoise(6, speech.length, 0.001)), RATE).droppedSeconds, 0);
    });

    it('calls a silent recording all dropped', () => {
      const stats = dropouts(speech, new Float32Array(speech.length), RATE);
      // Not quite 1: a few speech frames of the reference hold 10 ms of its own digital silence.
      assert.ok(stats.droppedRatio > 0.99, `${stats.droppedRatio}`);
      assert.equal(stats.silenceRatio, 1);
    });

    describe('on the calibration set', function () {
      before(function () {
        if (!calibrationAvailable) this.skip();
      });

      for (const voice of ['ru', 'en_librivox', 'de_espeak']) {
        it(`${voice}: ~10% and ~3% zeroed frames, none after Opus concealment`, async () => {
          const ref = await loadCalibration(voice, 'ref');
          const ratio = async (condition: string) => dropouts(ref, await loadCalibration(voice, condition), RATE).droppedRatio;
          const ten = await ratio('dropout_zero10');
          const three = await ratio('dropout_zero03');
          assert.ok(ten > 0.06 && ten < 0.14, `zero10: ${ten}`);
          assert.ok(three > 0.015 && three < 0.05, `zero03: ${three}`);
          assert.equal(await ratio('opus_14k_loss20'), 0);
          assert.equal(await ratio('ref'), 0);
        });
      }

      it('reads the references at their stated -26 dBov active level', async () => {
        for (const voice of ['ru', 'en_librivox', 'de_espeak']) {
          const level = signalLevels(await loadCalibration(voice, 'ref'), RATE).activeLevelDb;
          assert.ok(Math.abs(level + 26) < 0.3, `${voice}: ${level} dB`);
        }
      });
    });
  });
});
