// The lab: a private Prosody + coturn on loopback ports with a generated CA and throwaway accounts.
export { Lab, LabError, type LabOptions, type LabProcessName } from './lab.js';
export {
  defaultLabDir,
  defaultLabPorts,
  isProsodyRunning,
  isTurnRunning,
  labAccountConfig,
  labStateFile,
  readLabState,
  readLabStateFile,
  type LabAccount,
  type LabInfo,
  type LabLogin,
  type LabPorts,
} from './lab-state.js';
export { createLabCertificates, generateKeyPair, issueCertificate, type CertificateOptions, type IssuedCertificate, type KeyAlgorithm, type LabCertificates } from './certificates.js';
export { renderProsodyConfig, type ProsodyConfigOptions } from './prosody-config.js';
export { isStunBindingSuccess, stunBindingRequest, stunPing } from './stun.js';
