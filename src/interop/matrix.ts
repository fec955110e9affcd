// The interop matrix as data: which calls to place (caller, callee, server, TURN, IP version) for a set of
// options, and what each call gave. Pure: no I/O. The layout follows the 2010 interop event's report: per server
// and transport variant, a grid of callers (rows) by callees (columns).

/** Who places or takes a call. `dino` only answers (it has no way to start a call headless). */
export type PeerKind = 'earshot' | 'stanzajs' | 'dino' | 'gajim';
export type ServerKind = 'prosody' | 'ejabberd';
export type IpVersion = 4 | 6;

export const PEER_KINDS: readonly PeerKind[] = ['earshot', 'stanzajs', 'dino', 'gajim'];
export const SERVER_KINDS: readonly ServerKind[] = ['prosody', 'ejabberd'];
/** Peers that can only be called. */
export const CALLEE_ONLY: ReadonlySet<PeerKind> = new Set(['dino', 'gajim']);
/** Peers run in a network namespace of their own, reached over one IPv4 link that leads to the XMPP server only. */
export const SANDBOXED: ReadonlySet<PeerKind> = new Set(['dino', 'gajim']);

export interface MatrixOptions {
  peers: readonly PeerKind[];
  servers: readonly ServerKind[];
  /** `both`: every cell with and without TURN. */
  turn: 'both' | 'on' | 'off';
  ip: readonly IpVersion[];
  /** Also calls between two peers that are not earshot (stanzajs -> stanzajs); default false. */
  peerToPeer?: boolean;
}

/** One call to place. `turn`: both ends made to use the server's TURN relay. */
export interface CellSpec {
  caller: PeerKind;
  callee: PeerKind;
  server: ServerKind;
  turn: boolean;
  ip: IpVersion;
}

/** What actually carried a call, as far as the ends can tell. */
export interface CellMedia {
  /** How each end reached the server, e.g. `ws://[::1]:5280`, `c2s [::1]:5222`. */
  signalling: string[];
  /** The candidate pair, when an end can tell (libwebrtc's statistics), e.g. `relay 127.0.0.1 <-> host 127.0.0.1`. */
  selectedPair: string | null;
  /** DTLS-SRTP on the media; null when the call never got that far. */
  encrypted: boolean | null;
  codec: string | null;
  /** Anything that differs from what the cell asked for, or cannot be checked. */
  notes: string[];
}

/** One direction of a scored call. */
export interface DirectionScore {
  from: PeerKind;
  to: PeerKind;
  mosLqo: number | null;
  /** Intelligibility of what was heard (0-1): whether speech crossed at all. */
  stoi: number | null;
  /** Why there is no score, or why it is low. */
  problem: string | null;
}

/** A cell of the matrix: the JSON contract's fields first, then what explains them. */
export interface InteropCell extends CellSpec {
  ok: boolean;
  /** The worse direction's mosLqo; null when a direction could not be scored. */
  mosLqo: number | null;
  /** Why the cell failed or was not run; null when ok. */
  reason: string | null;
  /** False when the cell was not attempted (the reason says why). */
  run: boolean;
  directions: DirectionScore[];
  media: CellMedia | null;
  durationMs: number;
}

export interface InteropMatrix {
  cells: InteropCell[];
}

/**
 * A cell counts as ok when speech crossed both ways: each recording at least this intelligible (STOI) against what
 * the far end played. Silence or noise in its place scores near 0; the mosLqo then says how good the speech was
 * (desktop clients' echo cancelling and noise suppression pull it down while both ends talk at once).
 */
export const MIN_OK_STOI = 0.5;

/** The cells for these options: per server, TURN and IP variant, every caller by every callee with earshot on one end. */
export function matrixCells(options: MatrixOptions): CellSpec[] {
  checkOptions(options);
  const turns = options.turn === 'both' ? [false, true] : [options.turn === 'on'];
  const pairs: Array<[PeerKind, PeerKind]> = [];
  for (const caller of options.peers) {
    if (CALLEE_ONLY.has(caller)) continue;
    for (const callee of options.peers) {
      if (caller !== 'earshot' && callee !== 'earshot' && !options.peerToPeer) continue;
      pairs.push([caller, callee]);
    }
  }
  const cells: CellSpec[] = [];
  for (const server of options.servers) {
    for (const ip of options.ip) {
      for (const turn of turns) {
        for (const [caller, callee] of pairs) cells.push({ caller, callee, server, turn, ip });
      }
    }
  }
  return cells;
}

/** A cell that was not attempted, and why. */
export function notRunCell(spec: CellSpec, why: string): InteropCell {
  return { ...spec, ok: false, mosLqo: null, reason: `not run: ${why}`, run: false, directions: [], media: null, durationMs: 0 };
}

/**
 * The verdict of a call that ran: ok when it connected and speech crossed both ways (STOI at least MIN_OK_STOI).
 * `failure` is what stopped the call, if anything did.
 */
export function judgeCell(spec: CellSpec, outcome: { directions: DirectionScore[]; media: CellMedia | null; failure: string | null; durationMs: number }): InteropCell {
  const scores = outcome.directions.map((direction) => direction.mosLqo);
  const mosLqo = scores.length === 2 && scores.every((score) => score !== null) ? Math.min(...(scores as number[])) : null;
  const weak = outcome.directions.filter((direction) => direction.stoi === null || direction.stoi < MIN_OK_STOI);
  const reason =
    outcome.failure ??
    (outcome.directions.length < 2
      ? 'the call was not scored both ways'
      : weak.length > 0
        ? weak.map((direction) => `${direction.from} -> ${direction.to}: ${direction.problem ?? `no intelligible speech heard (STOI ${direction.stoi} below ${MIN_OK_STOI}, mosLqo ${direction.mosLqo})`}`).join('; ')
        : null);
  return { ...spec, ok: reason === null, mosLqo, reason, run: true, directions: outcome.directions, media: outcome.media, durationMs: outcome.durationMs };
}

/** The JSON contract of `earshot interop --json`: the listed fields of each cell, plus what was used. */
export function matrixJson(matrix: InteropMatrix): { cells: Array<Record<string, unknown>> } {
  return {
    cells: matrix.cells.map((cell) => ({
      caller: cell.caller,
      callee: cell.callee,
      server: cell.server,
      turn: cell.turn,
      ip: cell.ip,
      ok: cell.ok,
      mosLqo: cell.mosLqo,
      reason: cell.reason,
      run: cell.run,
      directions: cell.directions,
      media: cell.media,
      durationMs: cell.durationMs,
    })),
  };
}

/** "prosody, TURN, IPv6": the name of one grid of the report. */
export function variantName(cell: Pick<CellSpec, 'server' | 'turn' | 'ip'>): string {
  return `${cell.server}, ${cell.turn ? 'with TURN' : 'no TURN'}, IPv${cell.ip}`;
}

/** Reads a comma-separated list of allowed words, e.g. `--peers earshot,stanzajs`. */
export function parseList<T extends string | number>(text: string, allowed: readonly T[], what: string): T[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  if (items.length === 0) throw new Error(`${what}: give at least one of ${allowed.join(', ')}`);
  return [...new Set(items)].map((item) => {
    const found = allowed.find((candidate) => String(candidate) === item);
    if (found === undefined) throw new Error(`${what}: unknown "${item}" (choose from ${allowed.join(', ')})`);
    return found;
  });
}

function checkOptions(options: MatrixOptions): void {
  if (options.servers.length === 0) throw new Error('the matrix needs at least one server');
  if (options.ip.length === 0) throw new Error('the matrix needs at least one IP version');
  if (!options.peers.includes('earshot') && !options.peerToPeer) throw new Error('the matrix needs earshot among the peers (or peer-to-peer calls)');
  if (options.peers.every((peer) => CALLEE_ONLY.has(peer))) throw new Error(`the matrix needs a peer that can call (${options.peers.join(', ')} only answer)`);
}
