export * from './xml.js';
export * from './event.js';
export * from './log.js';
export * from './resample.js';
export * from './random.js';
export * from './yaml-source.js';
