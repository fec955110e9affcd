// `earshot call TARGET --as ACCOUNT --play FILE --record FILE --duration S`
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Endpoint, reportOneEnd, scoreReport } from '../../call/index.js';
import { resolveAccount } from '../accounts.js';
import { addInsecureRtpOption, addLeadInOption, codecPreference, leadInMs, warnInsecureRtp, loadReference, outputPath, parseSeconds, recordingPath, referenceSeconds } from '../media-options.js';
import { summarize } from '../summary.js';
import { addImpairmentOptions, resolveImpairment, type ImpairmentFlags } from '../impairment-options.js';
import { untilInterrupted } from '../interrupt.js';

interface CallFlags extends ImpairmentFlags {
  accounts?: string;
  as: string;
  play?: string;
  record?: string;
  duration?: string;
  codec?: string;
  jmi?: boolean;
  json?: string;
  turn: boolean;
  farReference?: string;
  visqol: boolean;
  insecureRtp?: boolean;
  leadIn?: string;
}

export function registerCallCommand(program: Command): void {
  const command = program
    .command('call')
    .description('call TARGET (a bare JID rings its devices with JMI; a full JID gets a session-initiate), play speech, record the far end')
    .argument('<target>', 'JID to call, or a lab account name (bob)')
    .requiredOption('--as <account>', 'who calls: a lab account name, an accounts-file entry, or a JID with $EARSHOT_PASSWORD')
    .option('--play <file>', 'speech to send, any WAV (default: the shipped reference speech)')
    .option('--record <file>', 'write what the far end sends, as heard, to this WAV')
    .option('--duration <s>', 'hang up this many seconds after media connects (default: the lead-in and the speech plus 1 s)')
    .option('--codec <name>', 'offer only opus, pcmu or pcma')
    .option('--jmi', 'ring with JMI even when TARGET is a full JID')
    .option('--no-jmi', 'send session-initiate directly (TARGET must be a full JID)')
    .option('--far-reference <file>', 'the speech the far end plays, to score what is heard of it (mosLqo and the rest)')
    .option('--no-visqol', 'skip ViSQOL when scoring (most of the scoring time)')
    .option('--no-turn', 'do not use the server\'s STUN/TURN services (XEP-0215)')
    .option('--accounts <file>', 'accounts file (default $EARSHOT_ACCOUNTS or ~/.config/earshot/accounts.yaml)')
    .option('--json <file>', 'write the result as JSON');
  addImpairmentOptions(addLeadInOption(addInsecureRtpOption(command))).action((target: string, flags: CallFlags) => placeCall(target, flags));
}

async function placeCall(target: string, flags: CallFlags): Promise<void> {
  const reference = await loadReference(flags.play);
  const farReference = flags.farReference === undefined ? undefined : await loadReference(flags.farReference);
  const impairment = resolveImpairment(flags);
  const account = resolveAccount(flags.as, { accountsFile: flags.accounts });
  const speechLeadInMs = leadInMs(flags.leadIn);
  const durationS = flags.duration ? parseSeconds(flags.duration) : Math.ceil(referenceSeconds(reference) + (speechLeadInMs ?? 0) / 1000) + 1;
  const recordPath = flags.record ? recordingPath(flags.record) : undefined;
  const targetJid = target.includes('@') ? target : `${target}@${account.jid.split('@')[1]}`;

  warnInsecureRtp(flags.insecureRtp);
  const endpoint = await Endpoint.login(account, { useExternalServices: flags.turn });
  try {
    const call = await endpoint.call(targetJid, { play: reference, loop: true, recordPath, codecs: codecPreference(flags.codec), jmi: flags.jmi, impairment, insecureRtp: flags.insecureRtp, speechLeadInMs });
    process.stderr.write(`earshot: calling ${targetJid} as ${endpoint.self}\n`);
    const stopWaiting = untilInterrupted(() => call.hangUp({ condition: 'success', text: 'interrupted by the user' }));
    call.onConnected.subscribe(() => {
      process.stderr.write(`earshot: connected; hanging up in ${durationS} s\n`);
      setTimeout(() => call.hangUp(), durationS * 1000).unref();
    });
    const leg = await call.ended;
    stopWaiting();
    const report = await scoreReport(reportOneEnd(leg), [call], { farReference, visqol: flags.visqol });
    process.stdout.write(summarize(report));
    if (flags.json) writeFileSync(outputPath(flags.json), `${JSON.stringify({ calls: [report] }, null, 2)}\n`);
    if (report.setupMs === null) process.exitCode = 1;
  } finally {
    await endpoint.close();
  }
}
