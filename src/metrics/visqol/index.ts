// ViSQOL v3 speech mode: a full-reference MOS-LQO estimate from the similarity of gammatone spectrograms.
export { visqolSpeech, type VisqolOptions, type VisqolPatch, type VisqolResult } from './visqol-speech.js';
