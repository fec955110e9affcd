// mosLqo: full-reference listening-quality score on the PESQ-WB scale (method in mos-lqo.ts).
export {
  componentsToMos,
  disturbancesOf,
  MOS_LQO_MAX,
  MOS_LQO_PARAMETERS,
  mosLqo,
  mosLqoWindows,
  type MosLqoComponents,
  type MosLqoFrames,
  type MosLqoOptions,
  type MosLqoParameters,
  type MosLqoResult,
  type MosLqoWindow,
  type MosLqoWindowOptions,
} from './mos-lqo.js';
export { components as componentsOver, type FrameDisturbances } from './disturbance.js';
