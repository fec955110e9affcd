import assert from 'node:assert/strict';
import {
  JingleSession,
  JingleStateError,
  SESSION_STATES,
  TRANSITIONS,
  parseJingle,
  type Candidate,
  type Content,
  type Jingle,
  type JmiMessage,
  type ReceiveResult,
  type Reason,
  type Role,
  type SessionEvent,
  type SessionState,
} from '../../src/jingle/index.js';
import { fixtureXml } from './helpers.js';

const SID = 's1';
const ME = 'earshot@example.test/bench';
const PEER_BARE = 'peer@example.test';
const PEER = `${PEER_BARE}/phone`;

const candidate = (port: number, overrides: Partial<Candidate> = {}): Candidate => ({
  component: 1,
  foundation: '1',
  ip: '127.0.0.1',
  port,
  priority: 2130706431,
  protocol: 'udp',
  type: 'host',
  ...overrides,
});

function content(name = '0', ufrag = 'localU', media: 'audio' | 'video' = 'audio'): Content {
  return {
    creator: 'initiator',
    name,
    senders: 'both',
    description: { media, payloadTypes: [{ id: 111, name: 'opus', clockrate: 48000, channels: 2, parameters: {} }], rtcpMux: true },
    transport: { ufrag, pwd: `${ufrag}-password-123456`, candidates: [], fingerprint: { hash: 'sha-256', value: 'AB:CD', setup: 'actpass' } },
  };
}

const remoteInitiate = (media: 'audio' | 'video' = 'audio'): Jingle => ({
  action: 'session-initiate',
  sid: SID,
  initiator: PEER,
  contents: [content('0', 'remoteU', media)],
});
const remoteAccept = (): Jingle => ({ action: 'session-accept', sid: SID, responder: PEER, contents: [content('0', 'remoteU')] });
const remoteTransportInfo = (ufrag = 'remoteU', pwd = `${ufrag}-password-123456`, candidates = [candidate(5000)]): Jingle => ({
  action: 'transport-info',
  sid: SID,
  contents: [{ creator: 'initiator', name: '0', transport: { ufrag, pwd, candidates } }],
});
const remoteTerminate = (reason?: Reason): Jingle => ({ action: 'session-terminate', sid: SID, contents: [], ...(reason ? { reason } : {}) });

/** A session with everything it emits recorded. */
function harness(role: Role, peer = PEER) {
  const session = new JingleSession({ sid: SID, role, self: ME, peer });
  const sent: Jingle[] = [];
  const jmi: JmiMessage[] = [];
  const states: SessionState[] = [];
  const ended: Array<[Reason, 'local' | 'remote']> = [];
  const remoteContents: Array<[Content[], string]> = [];
  const remoteCandidates: Array<[string, Candidate[]]> = [];
  const restarts: Array<[string, string | undefined]> = [];
  let ringing = 0;
  session.onSend.subscribe((j) => sent.push(j));
  session.onSendJmi.subscribe((m) => jmi.push(m));
  session.onStateChange.subscribe((to) => states.push(to));
  session.onTerminated.subscribe((reason, by) => ended.push([reason, by]));
  session.onRemoteContents.subscribe((contents, action) => remoteContents.push([contents, action]));
  session.onRemoteCandidates.subscribe((name, candidates) => remoteCandidates.push([name, candidates]));
  session.onIceRestart.subscribe((restart) => restarts.push([restart.contentName, restart.ufrag]));
  session.onRinging.subscribe(() => ringing++);
  return {
    session,
    sent,
    jmi,
    states,
    ended,
    remoteContents,
    remoteCandidates,
    restarts,
    get ringing() {
      return ringing;
    },
  };
}

function assertError(result: ReceiveResult, condition: string, jingleCondition?: string): string {
  assert.equal(result.reply, 'error');
  if (result.reply !== 'error') throw new Error('unreachable');
  assert.equal(result.error.condition, condition);
  assert.equal(result.error.jingleCondition, jingleCondition);
  return result.error.text;
}

describe('jingle/session', () => {
  describe('as initiator, direct session-initiate', () => {
    it('initiate, ringing, accept, trickle, terminate', () => {
      const h = harness('initiator');
      h.session.initiate([content()]);
      assert.deepEqual(h.sent[0], { action: 'session-initiate', sid: SID, initiator: ME, contents: [content()] });
      assert.equal(h.session.state, 'pending');

      assert.deepEqual(h.session.receive({ action: 'session-info', sid: SID, contents: [], info: { type: 'ringing' } }, PEER), { reply: 'ack' });
      assert.equal(h.ringing, 1);

      assert.deepEqual(h.session.receive(remoteAccept(), PEER), { reply: 'ack' });
      assert.equal(h.session.state, 'active');
      assert.deepEqual(h.remoteContents, [[remoteAccept().contents, 'session-accept']]);

      assert.deepEqual(h.session.receive(remoteTransportInfo(), PEER), { reply: 'ack' });
      assert.deepEqual(h.remoteCandidates, [['0', [candidate(5000)]]]);

      h.session.terminate({ condition: 'success' });
      assert.deepEqual(h.sent.at(-1), { action: 'session-terminate', sid: SID, contents: [], reason: { condition: 'success' } });
      assert.deepEqual(h.ended, [[{ condition: 'success' }, 'local']]);
      assert.deepEqual(h.states, ['pending', 'active', 'ended']);
      assert.deepEqual(h.jmi, [], 'no JMI finish when the call did not start with JMI');

      h.session.terminate({ condition: 'success' });
      assert.equal(h.sent.length, 2, 'terminating twice sends nothing more');
      assert.equal(h.ended.length, 1);
    });

    it('candidates gathered before the session-initiate go out after it, one transport-info each (StanzaJS rule)', () => {
      const h = harness('initiator');
      h.session.sendCandidate('0', candidate(4000));
      h.session.sendCandidate('0', candidate(4001));
      assert.equal(h.sent.length, 0, 'nothing may precede the session-initiate');
      h.session.initiate([content()]);
      assert.deepEqual(
        h.sent.map((j) => j.action),
        ['session-initiate', 'transport-info', 'transport-info'],
      );
      // Every transport-info names sid, content, creator and the ICE credentials (INTEROP bug 6 and 12).
      assert.deepEqual(h.sent[1], {
        action: 'transport-info',
        sid: SID,
        contents: [
          { creator: 'initiator', name: '0', transport: { ufrag: 'localU', pwd: 'localU-password-123456', candidates: [candidate(4000)] } },
        ],
      });
      h.session.sendCandidate('0', candidate(4002));
      assert.equal(h.sent.length, 4);
      assert.throws(() => h.session.sendCandidate('video', candidate(1)), JingleStateError);
    });

    it('a queued candidate for a content that the initiate lacks is refused before anything is sent', () => {
      const h = harness('initiator');
      h.session.sendCandidate('audio', candidate(4000));
      assert.throws(() => h.session.initiate([content('0')]), /queued candidate is for content 'audio'/);
      assert.equal(h.sent.length, 0);
      assert.equal(h.session.state, 'new');
    });

    it('candidates still arriving after the end are dropped', () => {
      const h = harness('initiator');
      h.session.sendCandidate('0', candidate(4000));
      h.session.terminate({ condition: 'cancel' });
      h.session.sendCandidate('0', candidate(4001));
      assert.deepEqual(h.sent, []);
      assert.deepEqual(h.ended, [[{ condition: 'cancel' }, 'local']]);
    });

    it('a session-initiate for our own sid while we are initiating is a tie-break (conflict)', () => {
      const h = harness('initiator');
      h.session.initiate([content()]);
      assertError(h.session.receive(remoteInitiate(), PEER), 'conflict', 'tie-break');
      assert.equal(h.session.state, 'pending');
    });

    it('session-accept naming a content we never offered is a bad-request', () => {
      const h = harness('initiator');
      h.session.initiate([content()]);
      const accept = remoteAccept();
      accept.contents[0]!.name = 'audio';
      assert.match(assertError(h.session.receive(accept, PEER), 'bad-request'), /content 'audio', which was not offered/);
      assert.equal(h.session.state, 'pending');
    });
  });

  describe('as responder', () => {
    it('Conversations call: initiate without candidates, ringing, accept, trickled candidates both ways', () => {
      const h = harness('responder', 'romeo@montague.example/Conversations.x1Yz');
      const initiate = { ...parseJingle(fixtureXml('conversations-session-initiate.xml')), sid: SID };
      assert.deepEqual(h.session.receive(initiate, 'romeo@montague.example/Conversations.x1Yz'), { reply: 'ack' });
      assert.equal(h.session.state, 'pending');
      assert.equal(h.remoteContents[0]?.[1], 'session-initiate');

      h.session.ring();
      assert.deepEqual(h.sent[0], { action: 'session-info', sid: SID, contents: [], info: { type: 'ringing' } });

      h.session.sendCandidate('0', candidate(6000));
      assert.equal(h.sent.length, 1, 'our candidates wait for our session-accept');

      const trickle = parseJingle(fixtureXml('conversations-transport-info.xml'));
      trickle.sid = SID;
      assert.deepEqual(h.session.receive(trickle, 'romeo@montague.example/Conversations.x1Yz'), { reply: 'ack' });
      assert.equal(h.remoteCandidates[0]?.[1][0]?.type, 'srflx');
      assert.deepEqual(h.restarts, [], 'same ufrag: no ICE restart');

      h.session.accept([content('0', 'answerU')]);
      assert.deepEqual(
        h.sent.map((j) => j.action),
        ['session-info', 'session-accept', 'transport-info'],
      );
      assert.equal(h.sent[1]?.responder, ME);
      assert.equal(h.sent[2]?.contents[0]?.transport?.ufrag, 'answerU');
      assert.equal(h.session.state, 'active');
    });

    it('ICE restart: a transport-info with new ufrag/pwd and no candidates is its own event (Conversations)', () => {
      const h = harness('responder', 'romeo@montague.example/Conversations.x1Yz');
      const from = 'romeo@montague.example/Conversations.x1Yz';
      const initiate = parseJingle(fixtureXml('conversations-session-initiate.xml'));
      h.session.receive({ ...initiate, sid: SID }, from);
      h.session.accept([content('0', 'answerU')]);
      const restart = parseJingle(fixtureXml('conversations-ice-restart.xml'));
      assert.deepEqual(h.session.receive({ ...restart, sid: SID }, from), { reply: 'ack' });
      assert.deepEqual(h.restarts, [['0', 'r3Jd']]);
      assert.deepEqual(h.remoteCandidates, []);
      // Candidates of the new generation are ordinary trickle again.
      h.session.receive(remoteTransportInfo('r3Jd', 'nH1aPq0cV7xYz2Lm4Kt6Wr8s'), from);
      assert.deepEqual(h.remoteCandidates, [['0', [candidate(5000)]]]);
      assert.equal(h.restarts.length, 1);

      h.session.restartIce('0', 'newU', 'newU-password-123456');
      assert.deepEqual(h.sent.at(-1)?.contents[0]?.transport, { ufrag: 'newU', pwd: 'newU-password-123456', candidates: [] });
      h.session.sendCandidate('0', candidate(7000));
      assert.equal(h.sent.at(-1)?.contents[0]?.transport?.ufrag, 'newU');
    });

    it('ICE restart edge cases: a new ufrag without pwd is a bad-request; a pwd-only restart keeps its ufrag usable', () => {
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      const noPwd = remoteTransportInfo('otherU');
      delete noPwd.contents[0]!.transport!.pwd;
      assert.match(assertError(h.session.receive(noPwd, PEER), 'bad-request'), /without a pwd/);
      assert.deepEqual(h.restarts, []);

      h.session.receive(remoteTransportInfo('remoteU', 'a-new-password-1234567', []), PEER);
      assert.deepEqual(h.restarts, [['0', 'remoteU']]);
      h.session.receive(remoteTransportInfo('remoteU', 'a-new-password-1234567'), PEER);
      assert.deepEqual(h.remoteCandidates, [['0', [candidate(5000)]]]);
    });

    it('Dino: candidates inside the session-initiate arrive with the contents, not as trickle', () => {
      const dino = 'juliet@capulet.example/dino.1a2b3c4d';
      const h = harness('responder', dino);
      const initiate = parseJingle(fixtureXml('dino-session-initiate.xml'));
      h.session.receive({ ...initiate, sid: SID }, dino);
      assert.equal(h.remoteContents[0]?.[0][0]?.transport?.candidates.length, 2);
      assert.deepEqual(h.remoteCandidates, []);
    });

    it('refuses a session-initiate that is not RTP over ICE-UDP, ending with the matching reason', () => {
      const h = harness('responder');
      const initiate = remoteInitiate();
      delete initiate.contents[0]!.transport;
      const text = assertError(h.session.receive(initiate, PEER), 'feature-not-implemented');
      assert.match(text, /no ICE-UDP transport/);
      assert.equal(h.session.state, 'ended');
      assert.equal(h.ended[0]?.[0].condition, 'unsupported-transports');
    });

    it('a second session-initiate is out of order; session-accept from the initiator too', () => {
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      assertError(h.session.receive(remoteInitiate(), PEER), 'unexpected-request', 'out-of-order');
      assertError(h.session.receive(remoteAccept(), PEER), 'unexpected-request', 'out-of-order');
      assert.equal(h.session.state, 'pending');
    });

    it('transport-info for an unknown content is a bad-request; without any session yet it is out of order', () => {
      const fresh = harness('responder');
      assertError(fresh.session.receive(remoteTransportInfo(), PEER), 'unexpected-request', 'out-of-order');
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      const info = remoteTransportInfo();
      info.contents[0]!.name = 'video';
      assert.match(assertError(h.session.receive(info, PEER), 'bad-request'), /unknown content 'video'/);
    });

    it('remote terminate: with its reason, or success noted as reasonless; a crossing terminate is acknowledged', () => {
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      assert.deepEqual(h.session.receive(remoteTerminate(), PEER), { reply: 'ack' });
      assert.deepEqual(h.ended, [[{ condition: 'success', text: 'the peer gave no reason' }, 'remote']]);
      assert.deepEqual(h.session.receive(remoteTerminate({ condition: 'busy' }), PEER), { reply: 'ack' });
      assert.equal(h.ended.length, 1);
      assert.deepEqual(h.session.reason, { condition: 'success', text: 'the peer gave no reason' });
    });
  });

  describe('requests the session must refuse', () => {
    it('another sender or another sid: unknown-session (item-not-found)', () => {
      const h = harness('responder');
      assertError(h.session.receive(remoteInitiate(), `${PEER_BARE}/laptop`), 'item-not-found', 'unknown-session');
      assertError(h.session.receive({ ...remoteInitiate(), sid: 'other' }, PEER), 'item-not-found', 'unknown-session');
      assert.equal(h.session.state, 'new');
    });

    it('late requests after the end: unknown-session, as the session no longer exists', () => {
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      h.session.terminate({ condition: 'decline' });
      const late: Jingle = { action: 'transport-info', sid: SID, contents: [{ ...content(), description: undefined }] };
      assertError(h.session.receive(late, PEER), 'item-not-found', 'unknown-session');
      assert.deepEqual(h.session.receive({ action: 'session-terminate', sid: SID, contents: [], reason: { condition: 'success' } }, PEER), { reply: 'ack' });
    });

    it('actions a voice call does not use: feature-not-implemented', () => {
      const h = harness('responder');
      h.session.receive(remoteInitiate(), PEER);
      const text = assertError(h.session.receive({ action: 'content-add', sid: SID, contents: [content('1')] }, PEER), 'feature-not-implemented');
      assert.match(text, /content-add/);
    });
  });

  describe('with Jingle Message Initiation', () => {
    it('initiator: propose to the bare JID, ringing, proceed from a device, initiate to it, finish after terminate', () => {
      const h = harness('initiator', PEER_BARE);
      h.session.propose(['audio']);
      assert.deepEqual(h.jmi, [{ kind: 'propose', id: SID, media: ['audio'] }]);
      assert.equal(h.session.receiveJmi({ kind: 'ringing', id: SID }, `${PEER_BARE}/laptop`), true);
      assert.equal(h.ringing, 1);
      assert.equal(h.session.receiveJmi({ kind: 'proceed', id: SID }, PEER), true);
      assert.equal(h.session.state, 'proceeding');
      assert.equal(h.session.peer, PEER, 'the session-initiate goes to the device that answered');
      assert.equal(h.session.receiveJmi({ kind: 'reject', id: SID }, `${PEER_BARE}/laptop`), false, 'another device declining later is ignored');
      assert.equal(h.session.state, 'proceeding');
      assert.throws(() => h.session.initiate([content('0', 'u', 'video')]), /must match the JMI propose/);
      h.session.initiate([content()]);
      h.session.receive(remoteAccept(), PEER);
      h.session.terminate({ condition: 'success' });
      assert.deepEqual(h.jmi.at(-1), { kind: 'finish', id: SID, reason: { condition: 'success' } });
      assert.equal(h.sent.at(-1)?.action, 'session-terminate');
    });

    it('initiator: terminate before proceed retracts; a reject ends with decline by default', () => {
      const retracting = harness('initiator', PEER_BARE);
      retracting.session.propose(['audio']);
      retracting.session.terminate({ condition: 'cancel' });
      assert.deepEqual(retracting.jmi.at(-1), { kind: 'retract', id: SID, reason: { condition: 'cancel' } });
      assert.deepEqual(retracting.sent, []);

      const rejected = harness('initiator', PEER_BARE);
      rejected.session.propose(['audio']);
      assert.equal(rejected.session.receiveJmi({ kind: 'reject', id: SID }, PEER), true);
      assert.deepEqual(rejected.ended, [[{ condition: 'decline' }, 'remote']]);
      assert.equal(rejected.session.receiveJmi({ kind: 'proceed', id: 'other-sid' }, PEER), false);
    });

    it('responder: propose, ringing and proceed go out as JMI; the session-initiate must match the proposed media', () => {
      const h = harness('responder', PEER_BARE);
      assert.equal(h.session.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER), true);
      assert.equal(h.session.peer, PEER, 'ringing and proceed go to the full JID of the calling device');
      h.session.ring();
      h.session.proceed();
      assert.deepEqual(h.jmi, [
        { kind: 'ringing', id: SID },
        { kind: 'proceed', id: SID },
      ]);
      const text = assertError(h.session.receive(remoteInitiate('video'), PEER), 'bad-request');
      assert.match(text, /differs from the JMI propose/);
      assert.equal(h.ended[0]?.[0].condition, 'security-error');
    });

    it('responder: a matching session-initiate after proceed; retract before it ends the call', () => {
      const h = harness('responder', PEER_BARE);
      h.session.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER);
      h.session.proceed();
      assert.deepEqual(h.session.receive(remoteInitiate(), PEER), { reply: 'ack' });
      assert.equal(h.session.state, 'pending');

      const retracted = harness('responder', PEER_BARE);
      retracted.session.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER);
      retracted.session.receiveJmi({ kind: 'retract', id: SID }, PEER);
      assert.deepEqual(retracted.ended, [[{ condition: 'cancel' }, 'remote']]);
    });

    it('responder: answered or declined on our own other device (carbons) ends the call here', () => {
      const h = harness('responder', PEER_BARE);
      h.session.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER);
      assert.equal(h.session.receiveJmi({ kind: 'proceed', id: SID }, 'earshot@example.test/desktop'), true);
      assert.deepEqual(h.ended, [[{ condition: 'cancel', text: 'answered on another device' }, 'local']]);
      assert.deepEqual(h.jmi, []);
    });

    it('responder: terminate while proposed rejects', () => {
      const h = harness('responder', PEER_BARE);
      h.session.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER);
      h.session.terminate({ condition: 'busy' });
      assert.deepEqual(h.jmi, [{ kind: 'reject', id: SID, reason: { condition: 'busy' } }]);
    });
  });

  describe('local misuse throws JingleStateError', () => {
    it('wrong role or state', () => {
      assert.throws(() => harness('initiator').session.accept([content()]), JingleStateError);
      assert.throws(() => harness('responder').session.initiate([content()]), JingleStateError);
      assert.throws(() => harness('initiator').session.sendInfo({ type: 'hold' }), /session-info is not allowed for the initiator in state new/);
      const h = harness('initiator');
      h.session.initiate([content()]);
      assert.throws(() => h.session.initiate([content()]), JingleStateError);
      assert.throws(() => h.session.initiate([]), JingleStateError);
      assert.throws(() => harness('initiator').session.initiate([content(), content()]), /appears twice/);
    });
  });

  describe('the transition table, walked completely', () => {
    const REMOTE_INPUTS: Record<string, (s: JingleSession) => boolean> = {
      'remote:propose': (s) => s.receiveJmi({ kind: 'propose', id: SID, media: ['audio'] }, PEER),
      'remote:ringing': (s) => s.receiveJmi({ kind: 'ringing', id: SID }, PEER),
      'remote:proceed': (s) => s.receiveJmi({ kind: 'proceed', id: SID }, PEER),
      'remote:reject': (s) => s.receiveJmi({ kind: 'reject', id: SID }, PEER),
      'remote:retract': (s) => s.receiveJmi({ kind: 'retract', id: SID }, PEER),
      'remote:finish': (s) => s.receiveJmi({ kind: 'finish', id: SID }, PEER),
      'remote:session-initiate': (s) => s.receive(remoteInitiate(), PEER).reply === 'ack',
      'remote:session-accept': (s) => s.receive(remoteAccept(), PEER).reply === 'ack',
      'remote:session-info': (s) => s.receive({ action: 'session-info', sid: SID, contents: [], info: { type: 'active' } }, PEER).reply === 'ack',
      'remote:transport-info': (s) => s.receive(remoteTransportInfo(), PEER).reply === 'ack',
      'remote:session-terminate': (s) => s.receive(remoteTerminate({ condition: 'success' }), PEER).reply === 'ack',
    };
    /** Local calls that map to exactly one step. */
    const LOCAL_INPUTS: Record<string, (s: JingleSession) => void> = {
      'local:propose': (s) => s.propose(['audio']),
      'local:proceed': (s) => s.proceed(),
      'local:session-initiate': (s) => s.initiate([content()]),
      'local:session-accept': (s) => s.accept([content()]),
      'local:session-info': (s) => s.sendInfo({ type: 'active' }),
    };

    function reach(role: Role, state: SessionState): JingleSession {
      const s = new JingleSession({ sid: SID, role, self: ME, peer: PEER });
      const path: Record<Role, Record<SessionState, Array<(s: JingleSession) => unknown>>> = {
        initiator: {
          new: [],
          proposed: [LOCAL_INPUTS['local:propose']!],
          proceeding: [LOCAL_INPUTS['local:propose']!, REMOTE_INPUTS['remote:proceed']!],
          pending: [LOCAL_INPUTS['local:session-initiate']!],
          active: [LOCAL_INPUTS['local:session-initiate']!, REMOTE_INPUTS['remote:session-accept']!],
          ended: [LOCAL_INPUTS['local:session-initiate']!, (x) => x.terminate({ condition: 'success' })],
        },
        responder: {
          new: [],
          proposed: [REMOTE_INPUTS['remote:propose']!],
          proceeding: [REMOTE_INPUTS['remote:propose']!, LOCAL_INPUTS['local:proceed']!],
          pending: [REMOTE_INPUTS['remote:session-initiate']!],
          active: [REMOTE_INPUTS['remote:session-initiate']!, LOCAL_INPUTS['local:session-accept']!],
          ended: [REMOTE_INPUTS['remote:session-initiate']!, (x) => x.terminate({ condition: 'success' })],
        },
      };
      for (const step of path[role][state]) step(s);
      assert.equal(s.state, state, `could not reach ${role}/${state}`);
      return s;
    }

    for (const role of ['initiator', 'responder'] as const) {
      for (const state of SESSION_STATES) {
        it(`${role} in ${state}: every remote input and one-step local call does what the table says`, () => {
          const table: Partial<Record<SessionEvent, SessionState>> = TRANSITIONS[role][state];
          for (const [event, input] of Object.entries(REMOTE_INPUTS)) {
            const session = reach(role, state);
            const expected = table[event as SessionEvent];
            const accepted = input(session);
            assert.equal(accepted, expected !== undefined, `${role}/${state} ${event}: accepted=${accepted}`);
            assert.equal(session.state, expected ?? state, `${role}/${state} ${event}`);
          }
          for (const [event, input] of Object.entries(LOCAL_INPUTS)) {
            const session = reach(role, state);
            const expected = table[event as SessionEvent];
            if (expected === undefined) assert.throws(() => input(session), JingleStateError, `${role}/${state} ${event}`);
            else {
              input(session);
              assert.equal(session.state, expected, `${role}/${state} ${event}`);
            }
          }
          // terminate() works in every state and always ends with the given reason.
          const session = reach(role, state);
          session.terminate({ condition: 'gone' });
          assert.equal(session.state, 'ended');
          if (state !== 'ended') assert.deepEqual(session.reason, { condition: 'gone' });
        });
      }
    }

    it('every table entry names a reachable state, and only ended has no way out', () => {
      for (const role of ['initiator', 'responder'] as const) {
        for (const state of SESSION_STATES) {
          const targets = Object.values(TRANSITIONS[role][state]);
          for (const target of targets) assert.ok(SESSION_STATES.includes(target));
          if (state === 'ended') assert.ok(targets.every((t) => t === 'ended'));
          else assert.ok(targets.includes('ended'), `${role}/${state} must be able to end`);
        }
      }
    });
  });
});
