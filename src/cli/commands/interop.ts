/**
 * `earshot interop`: the interop matrix. Calls in both directions between earshot and the peers that run here
 * (StanzaJS + libwebrtc; Dino once wired), through the lab's Prosody and an ejabberd beside it, with and without
 * TURN, over IPv4 and IPv6; each cell a scored call or a failure with its reason. Starts its own lab and ejabberd
 * in a temporary folder (kept with --keep). Exit code 0 only when every cell that ran is ok.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadReference } from '../../call/reference-audio.js';
import { matrixJson, parseList, PEER_KINDS, SERVER_KINDS, type InteropCell, type InteropMatrix, type IpVersion } from '../../interop/matrix.js';
import { matrixPage } from '../../interop/matrix-page.js';
import { runInteropMatrix } from '../../interop/run-matrix.js';
import { startDino, startGajim } from '../../interop/desktop-clients.js';

interface InteropFlags {
  json?: boolean;
  html?: string;
  duration: string;
  servers: string;
  peers: string;
  turn: string;
  ip: string;
  peerToPeer?: boolean;
  play?: string;
  keep?: boolean;
}

export function registerInteropCommand(program: Command): void {
  program
    .command('interop')
    .description('the interop matrix: scored calls both ways between earshot and other peers, per server, with and without TURN, over IPv4 and IPv6')
    .option('--json', 'print { "cells": [ { caller, callee, server, turn, ip, ok, mosLqo, reason, ... } ] }')
    .option('--html <dir>', 'write the report page (a grid per server and transport variant) to DIR/index.html')
    .option('--duration <s>', 'seconds of speech both ways in each call', '6')
    .option('--servers <list>', `servers to call through: ${SERVER_KINDS.join(',')}`, SERVER_KINDS.join(','))
    .option('--peers <list>', `peers: ${PEER_KINDS.join(',')} (dino and gajim answer only; they need root, Xvfb, PulseAudio and dino-im or gajim; gajim calls are plain RTP)`, 'earshot,stanzajs')
    .option('--turn <mode>', 'both, on (relay through the lab coturn) or off', 'both')
    .option('--ip <list>', 'IP versions: 4,6', '4,6')
    .option('--peer-to-peer', 'also calls between two peers that are not earshot (stanzajs -> stanzajs)')
    .option('--play <file>', "speech earshot plays (default the shipped reference); the other peers play it backwards")
    .option('--keep', 'keep the working folder (servers, recordings) and print where it is')
    .action((flags: InteropFlags) => interop(flags));
}

async function interop(flags: InteropFlags): Promise<void> {
  const durationS = Number(flags.duration);
  if (!(Number.isFinite(durationS) && durationS >= 2 && durationS <= 60)) throw new Error(`--duration must be 2-60 seconds, got "${flags.duration}"`);
  const turnModes = parseList(flags.turn, ['both', 'on', 'off'] as const, '--turn');
  if (turnModes.length !== 1) throw new Error(`--turn takes one of both, on, off, got "${flags.turn}"`);
  const options = {
    peers: parseList(flags.peers, PEER_KINDS, '--peers'),
    servers: parseList(flags.servers, SERVER_KINDS, '--servers'),
    turn: turnModes[0]!,
    ip: parseList(flags.ip, ['4', '6'] as const, '--ip').map((version) => Number(version) as IpVersion),
    peerToPeer: flags.peerToPeer ?? false,
  };
  const reference = await loadReference(flags.play);
  const workDir = mkdtempSync(join(tmpdir(), 'earshot-interop-'));
  const startedAt = Date.now();
  let matrix: InteropMatrix;
  try {
    matrix = await runInteropMatrix({
      ...options,
      externalPeers: { dino: startDino, gajim: startGajim },
      workDir,
      reference,
      durationMs: durationS * 1000,
      onCell: (cell, index, total) => process.stderr.write(`[${index}/${total}] ${progressLine(cell)}\n`),
    });
  } finally {
    if (flags.keep) process.stderr.write(`working folder kept: ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  if (flags.html) {
    const dir = resolve(flags.html);
    mkdirSync(dir, { recursive: true });
    const facts: Array<[string, string]> = [
      ['command', `earshot ${process.argv.slice(2).join(' ')}`],
      ['speech per call', `${durationS} s both ways`],
      ['wall time', `${Math.round((Date.now() - startedAt) / 1000)} s`],
      ['date', new Date(startedAt).toISOString()],
    ];
    writeFileSync(join(dir, 'index.html'), matrixPage({ matrix, facts }));
    process.stderr.write(`report: ${join(dir, 'index.html')}\n`);
  }
  process.stdout.write(flags.json ? `${JSON.stringify(matrixJson(matrix), null, 2)}\n` : matrixTable(matrix));
  process.exitCode = matrix.cells.every((cell) => cell.ok || !cell.run) ? 0 : 1;
}

function progressLine(cell: InteropCell): string {
  const what = `${cell.caller} -> ${cell.callee} via ${cell.server}${cell.turn ? ' +TURN' : ''} IPv${cell.ip}`;
  return cell.ok ? `${what}: ok, mosLqo ${cell.mosLqo}` : cell.run ? `${what}: FAILED: ${cell.reason}` : `${what}: ${cell.reason}`;
}

function matrixTable(matrix: InteropMatrix): string {
  const rows = matrix.cells.map((cell) => [
    cell.caller,
    cell.callee,
    cell.server,
    cell.turn ? 'turn' : '-',
    `v${cell.ip}`,
    cell.ok ? 'ok' : cell.run ? 'FAILED' : 'not run',
    cell.mosLqo === null ? '' : cell.mosLqo.toFixed(2),
    cell.reason ?? '',
  ]);
  const head = ['caller', 'callee', 'server', 'TURN', 'IP', 'result', 'mosLqo', 'reason'];
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === head.length - 1 ? 0 : row[column]!.length))));
  const line = (row: string[]) => row.map((text, column) => (column === row.length - 1 ? text : text.padEnd(widths[column]!))).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
