import type { CallReport } from '../call/result.js';
import type { TlsCheckOutcome } from '../tlscheck/report.js';
import type { ExpectationResult } from './expectations.js';

// What `earshot run SCRIPT` produces: the JSON written by --json, and the input of the JUnit and HTML reports.

/** One placing of a script's call (a call with `repeat: 3` gives three). */
export interface RunCallResult {
  /** The call's name in the script, with `#2`, `#3` ... for repeats after the first. */
  name: string;
  /** The script's call name, shared by its repeats. */
  script: string;
  repeat: number;
  caller: string;
  callee: string;
  /** Epoch ms when the call was placed, and how long it took from there to the end of its scoring. */
  startedAt: number;
  elapsedMs: number;
  /** The call as measured (null when it never got as far as a call: a login failure, say). */
  report: CallReport | null;
  /** Why the call did not do what the script said, when it did not. */
  error: string | null;
  /** The steps as they ran, each with when it ran (ms since the call was placed) and how it went. */
  steps: StepRecord[];
  expectations: ExpectationResult[];
  passed: boolean;
  /** Files written for the call, relative to the run's output folder. */
  files: {
    /** RTP/RTCP as the caller's end sent and received it, decrypted (tshark -d udp.port==N,rtp). */
    pcap?: string;
    /** The same at the callee's end, when earshot is the callee too. */
    calleePcap?: string;
    /** The caller account's XMPP stanza log, credentials masked. */
    stanzaLog?: string;
  };
}

export interface StepRecord {
  step: string;
  side?: 'caller' | 'callee';
  atMs: number;
  ok: boolean;
  detail?: string;
}

export interface RunReport {
  scenario: string;
  description?: string;
  /** The script, as given on the command line. */
  file: string;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** Where recordings, captures and logs were written; paths in the report are relative to it. */
  outDir: string;
  passed: boolean;
  calls: RunCallResult[];
  /** The TLS client tests of the accounts named in the script's tlsCheck, run before the calls. */
  tlsChecks?: TlsCheckOutcome[];
  /** Each account's XMPP stanza log (credentials masked), relative to outDir. */
  stanzaLogs?: Record<string, string>;
}
