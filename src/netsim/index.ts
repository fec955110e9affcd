// Network impairment, earshot's own engine (no netem here): a pure per-direction model, profiles as data
// files, and the live shell that a call's transport passes every media packet through.
export type { ImpairmentConfig, JitterDistribution, LossConfig, Profile, ProfilePhase } from './config.js';
export { NetworkModel, ImpairmentConfigError, type PacketFate, type FateKind, type NetworkModelOptions } from './model.js';
export { validateImpairment } from './validate.js';
export { parseMahimahiTrace, type MahimahiTrace } from './mahimahi-trace.js';
export { loadProfile, listProfiles, parseProfile, summarizeProfile, describeImpairment, ProfileError, SHIPPED_PROFILES_DIR } from './profile-file.js';
export { parseOverrides, applyOverrides, describeOverrides, parseDurationMs, OverrideError, type OverrideFlags, type ProfileOverrides } from './overrides.js';
export { ImpairedLink, type Direction, type LinkFate } from './impaired-link.js';
