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
export { issueCrl, type RevokedSerial } from './certificates.js';
export { renderBrokenProsodyConfig, type BrokenProsodyConfigOptions, type TestVirtualHost } from './prosody-config.js';
export { isBrokenServersRunning } from './lab-state.js';
export { testServerKinds, type BrokenServersInfo, type TestServer, type TestServerKind } from './broken-servers.js';
export { startRevocationServer, type RevocationServer } from './revocation-server.js';
export { answerOcspRequest } from './ocsp-responder.js';
export { EjabberdServer, EjabberdError, isEjabberdInstalled, type EjabberdOptions, type EjabberdInfo } from './ejabberd.js';
export { renderEjabberdConfig, type EjabberdConfigOptions } from './ejabberd-config.js';
