// earshot endpoints logged in to the shared lab's Prosody for the tests of one describe block, and a call between
// two of them that plays the reference speech both ways.
import { Endpoint, loadReference, type Call, type CallLegResult, type CallMediaOptions, type OutgoingCallOptions } from '../../src/call/index.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { sharedLab } from './lab.js';

/**
 * Logs in the lab accounts `names` ('alice', 'bob', 'carol', 'dave') before the enclosing describe block's tests and
 * closes them after it. The returned object is filled in by then: read it in tests and hooks, not while describing.
 */
export function labEndpoints<Name extends string>(...names: Name[]): Record<Name, Endpoint> {
  const endpoints = {} as Record<Name, Endpoint>;
  before(async () => {
    const lab = await sharedLab();
    const loggedIn = await Promise.all(names.map((name) => Endpoint.login(labAccountConfig(lab.info, name))));
    names.forEach((name, index) => (endpoints[name] = loggedIn[index]));
  });
  after(async () => {
    await Promise.all(names.map((name) => endpoints[name]?.close()));
  });
  return endpoints;
}

export interface CallBetweenOptions {
  /** Whom the caller calls; default the callee's full JID (a direct session-initiate needs one). */
  to?: string;
  /** The caller's options besides the reference speech, which both sides play in a loop. */
  caller?: Omit<OutgoingCallOptions, 'play'>;
  /** The callee's media options besides the reference speech. */
  callee?: Omit<CallMediaOptions, 'play'>;
}

/** `callee` answers calls from `caller` only; `caller` calls it. Resolves with both legs once media is connected. */
export async function connectedCall(caller: Endpoint, callee: Endpoint, options: CallBetweenOptions = {}): Promise<{ call: Call; incoming: Call }> {
  const play = await loadReference();
  callee.autoAnswer({ allow: [caller.self.split('/')[0]], media: { play, loop: true, ...options.callee } });
  const answered = callee.onIncomingCall.next();
  const call = await caller.call(options.to ?? callee.self, { play, loop: true, ...options.caller });
  const [incoming] = await answered;
  await call.onConnected.next();
  return { call, incoming };
}

/** The caller hangs up `ms` from now; resolves with both legs' results once each has ended. */
export function hangUpAfter(ms: number, call: Call, incoming: Call): Promise<[CallLegResult, CallLegResult]> {
  setTimeout(() => call.hangUp(), ms);
  return Promise.all([call.ended, incoming.ended]);
}
