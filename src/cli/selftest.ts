// `earshot selftest`: two bots call each other through a server (the lab unless one is given), both directions
// are recorded and measured, and the result is one CallReport.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Endpoint, reportBothEnds, reportOneEnd, scoreReport, type CallReport, type Impairment, type ReferenceAudio } from '../call/index.js';
import { Lab, defaultLabDir, labAccountConfig, readLabState, type LabInfo } from '../lab/index.js';
import type { CodecName } from '../media/index.js';
import type { XmppAccount } from '../xmpp/index.js';

export interface SelftestOptions {
  reference: ReferenceAudio;
  durationS: number;
  outDir: string;
  codecs?: CodecName[];
  /** JMI to the callee's bare JID (default), or session-initiate to its full JID. */
  jmi?: boolean;
  /** Two accounts on a server of the user's; default: the running lab, or a temporary one. */
  accounts?: [XmppAccount, XmppAccount];
  /** A network profile, applied at the caller's end to both directions (once: both ends run here). */
  impairment?: Impairment;
  /** Plain RTP without DTLS-SRTP on both ends (only for peers that have no DTLS: never the default). */
  insecureRtp?: boolean;
  /** Run ViSQOL on each direction (most of the scoring time); default true. */
  visqol?: boolean;
  /** Told each step, for progress lines. */
  progress?: (message: string) => void;
}

export async function runSelftest(options: SelftestOptions): Promise<CallReport> {
  const say = options.progress ?? (() => undefined);
  let lab: Lab | undefined;
  let accounts = options.accounts;
  if (!accounts) {
    let info: LabInfo | undefined = readLabState(defaultLabDir());
    if (info) {
      say(`using the running lab in ${info.dir}`);
    } else {
      say('starting a temporary lab (Prosody + coturn on loopback)');
      lab = await Lab.start({ dir: mkdtempSync(join(tmpdir(), 'earshot-selftest-')) });
      info = lab.info;
    }
    accounts = [labAccountConfig(info, 'alice'), labAccountConfig(info, 'bob')];
  }
  mkdirSync(options.outDir, { recursive: true });
  const endpoints: Endpoint[] = [];
  try {
    const caller = await Endpoint.login(accounts[0]);
    endpoints.push(caller);
    const callee = await Endpoint.login(accounts[1]);
    endpoints.push(callee);
    say(`logged in as ${caller.self} and ${callee.self}`);

    const recordFor = (who: Endpoint) => join(options.outDir, `${who.self.split('@')[0]}-heard.wav`);
    const media = { play: options.reference, codecs: options.codecs, loop: true, insecureRtp: options.insecureRtp };
    callee.autoAnswer({ allow: [accounts[0].jid], media: { ...media, recordPath: recordFor(callee) } });
    const answered = callee.onIncomingCall.next();

    const target = options.jmi === false ? callee.self : accounts[1].jid;
    const call = await caller.call(target, { ...media, recordPath: recordFor(caller), jmi: options.jmi !== false, impairment: options.impairment });
    const incoming = await Promise.race([answered.then(([leg]) => leg), call.ended.then(() => undefined)]);
    if (!incoming) return reportOneEnd(await call.ended);
    await Promise.race([call.onConnected.next(), call.ended]);
    say(`connected: ${options.durationS} s of speech each way`);
    const hangUpTimer = setTimeout(() => call.hangUp(), options.durationS * 1000);
    const [callerLeg, calleeLeg] = await Promise.all([call.ended, incoming.ended]);
    clearTimeout(hangUpTimer);
    say('scoring both directions');
    return await scoreReport(reportBothEnds(callerLeg, calleeLeg), [call, incoming], { visqol: options.visqol });
  } finally {
    await Promise.all(endpoints.map((endpoint) => endpoint.close()));
    await lab?.stop();
  }
}
