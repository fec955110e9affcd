// `earshot answer --as ACCOUNT --allow JID... --play FILE --record FILE`: an auto-answering bot.
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { Endpoint, reportOneEnd, scoreReport, type CallReport } from '../../call/index.js';
import { resolveAccount } from '../accounts.js';
import { addInsecureRtpOption, addLeadInOption, codecPreference, leadInMs, warnInsecureRtp, loadReference, outputPath, recordingPath } from '../media-options.js';
import { summarize } from '../summary.js';
import { addImpairmentOptions, resolveImpairment, type ImpairmentFlags } from '../impairment-options.js';
import { untilInterrupted } from '../interrupt.js';

interface AnswerFlags extends ImpairmentFlags {
  accounts?: string;
  as: string;
  allow: string[];
  play?: string;
  record?: string;
  codec?: string;
  calls?: string;
  json?: string;
  turn: boolean;
  farReference?: string;
  visqol: boolean;
  insecureRtp?: boolean;
  leadIn?: string;
}

export function registerAnswerCommand(program: Command): void {
  const command = program
    .command('answer')
    .description('answer calls automatically from the allowed callers (others are declined), play speech, record each caller')
    .requiredOption('--as <account>', 'who answers: a lab account name, an accounts-file entry, or a JID with $EARSHOT_PASSWORD')
    .requiredOption('--allow <jid...>', 'callers to answer (bare or full JIDs, or lab account names); everyone else is declined')
    .option('--play <file>', 'speech to send, looped (default: the shipped reference speech)')
    .option('--record <file>', 'record each call; the second call goes to FILE-2.wav and so on')
    .option('--codec <name>', 'accept only opus, pcmu or pcma')
    .option('--calls <n>', 'exit after this many calls (default: run until Ctrl-C)')
    .option('--accounts <file>', 'accounts file (default $EARSHOT_ACCOUNTS or ~/.config/earshot/accounts.yaml)')
    .option('--json <file>', 'write the results as JSON when exiting')
    .option('--far-reference <file>', 'the speech the far end plays, to score what is heard of it (mosLqo and the rest)')
    .option('--no-visqol', 'skip ViSQOL when scoring (most of the scoring time)')
    .option('--no-turn', 'do not use the server\'s STUN/TURN services (XEP-0215)');
  addImpairmentOptions(addLeadInOption(addInsecureRtpOption(command))).action((flags: AnswerFlags) => answerCalls(flags));
}

async function answerCalls(flags: AnswerFlags): Promise<void> {
  const reference = await loadReference(flags.play);
  const farReference = flags.farReference === undefined ? undefined : await loadReference(flags.farReference);
  const impairment = resolveImpairment(flags);
  const account = resolveAccount(flags.as, { accountsFile: flags.accounts });
  const domain = account.jid.split('@')[1];
  const allow = flags.allow.map((jid) => (jid.includes('@') ? jid : `${jid}@${domain}`));
  const speechLeadInMs = leadInMs(flags.leadIn);
  const maxCalls = flags.calls === undefined ? Infinity : Number(flags.calls);
  if (!(maxCalls > 0)) throw new Error(`--calls must be a positive number, not ${flags.calls}`);

  if (flags.record) recordingPath(flags.record);
  warnInsecureRtp(flags.insecureRtp);
  const endpoint = await Endpoint.login(account, { useExternalServices: flags.turn });
  const reports: CallReport[] = [];
  const scoring: Array<Promise<void>> = [];
  let answered = 0;
  const recordPathFor = (n: number) => {
    if (!flags.record) return undefined;
    const path = outputPath(flags.record);
    return n === 1 ? path : `${path.slice(0, path.length - extname(path).length)}-${n}${extname(path) || '.wav'}`;
  };
  const media = () => ({ play: reference, loop: true, recordPath: recordPathFor(answered + 1), codecs: codecPreference(flags.codec), impairment, insecureRtp: flags.insecureRtp, speechLeadInMs });

  await new Promise<void>((resolve) => {
    const stopWaiting = untilInterrupted(() => resolve());
    endpoint.autoAnswer({ allow, media: media() });
    endpoint.onDeclined.subscribe((from) => process.stderr.write(`earshot: declined a call from ${from}\n`));
    endpoint.onRefused.subscribe((from, why) => process.stderr.write(`earshot: refused a call from ${from}: ${why}\n`));
    endpoint.onIncomingCall.subscribe((call) => {
      answered++;
      endpoint.autoAnswer({ allow, media: media() });
      process.stderr.write(`earshot: answering ${call.peer}\n`);
      scoring.push(
        call.ended.then(async (leg) => {
          const report = await scoreReport(reportOneEnd(leg), [call], { farReference, visqol: flags.visqol });
          reports.push(report);
          process.stdout.write(summarize(report));
          if (reports.length >= maxCalls) {
            stopWaiting();
            resolve();
          }
        }),
      );
    });
    process.stderr.write(`earshot: ${endpoint.self} answers calls from ${allow.join(', ')} (Ctrl-C to stop)\n`);
  });
  await endpoint.close();
  // Calls hung up by the close above are still being scored.
  await Promise.all(scoring);
  if (flags.json) writeFileSync(outputPath(flags.json), `${JSON.stringify({ calls: reports }, null, 2)}\n`);
}
