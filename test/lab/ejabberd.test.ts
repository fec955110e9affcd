// Debian's ejabberd as a lab server: two private instances side by side, logins that verify the lab CA, the lab's
// coturn announced with credentials coturn accepts, earshot-to-earshot calls (JMI and direct) through it, and a stop
// that leaves no Erlang process behind.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Endpoint, loadReference, reportBothEnds, type CallReport } from '../../src/call/index.js';
import { EjabberdServer, isEjabberdInstalled } from '../../src/lab/ejabberd.js';
import { createLabCertificates, type Lab } from '../../src/lab/index.js';
import { freeTcpPort } from '../../src/lab/ports.js';
import { SaslError, XmppConnection } from '../../src/xmpp/index.js';
import { sharedLab } from '../helpers/lab.js';

const MEDIA_MS = 2000;

describe('lab: ejabberd', function () {
  this.timeout(60_000);
  let dir: string;
  let lab: Lab;
  let server: EjabberdServer;
  let beside: EjabberdServer;
  let certificates: { certificateFile: string; keyFile: string; caFile: string };
  let epmdBefore: number[];

  before(async function () {
    if (!isEjabberdInstalled()) {
      console.log('      ejabberd is not installed (apt-get install -y ejabberd): skipping its lab tests');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'earshot-ejabberd-'));
    lab = await sharedLab();
    const issued = await createLabCertificates('localhost', new Date());
    certificates = { certificateFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.pem') };
    writeFileSync(certificates.certificateFile, issued.server.certPem);
    writeFileSync(certificates.keyFile, issued.server.keyPem, { mode: 0o600 });
    writeFileSync(certificates.caFile, issued.ca.certPem);
    epmdBefore = processIds((command) => command.startsWith('epmd') || command.includes('/epmd'));
    const ports = { c2s: await freeTcpPort(), c2sDirectTls: await freeTcpPort(), http: await freeTcpPort() };
    const besidePorts = { c2s: await freeTcpPort(), http: await freeTcpPort() };
    [server, beside] = await Promise.all([
      EjabberdServer.start({
        dir: join(dir, 'one'),
        ports,
        ...certificates,
        accounts: [
          { username: 'alice', password: 'alice-secret-1' },
          { username: 'bob', password: 'bob-secret-22' },
        ],
        turn: lab.info.turn,
      }),
      EjabberdServer.start({ dir: join(dir, 'two'), ports: besidePorts, ...certificates, accounts: [{ username: 'erin', password: 'erin-secret-3' }] }),
    ]);
    console.log(`      ejabberd up in ${server.startupMs} and ${beside.startupMs} ms (both at once), ${rssMegabytes(server.info.pid)} MB resident`);
  });

  after(async () => {
    await Promise.all([server?.stop(), beside?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('requires STARTTLS, offers stream management and no registration, and logs in trusting the lab CA', async () => {
    const received: string[] = [];
    const alice = await XmppConnection.connect(server.login('alice'), { stanzaLog: (direction, text) => direction === 'in' && received.push(text) });
    try {
      const features = received.filter((text) => text.startsWith('<stream:features'));
      assert.match(features[0], /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/);
      assert.match(features.at(-1) ?? '', /<sm xmlns="urn:xmpp:sm:3"\/>/);
      assert.ok(!features.some((text) => text.includes('jabber.org/features/iq-register')), 'in-band registration must be off');
      const info = await alice.discoInfo('localhost');
      for (const feature of ['urn:xmpp:carbons:2', 'urn:xmpp:extdisco:2']) assert.ok(info.features.includes(feature), `server lacks ${feature}`);
    } finally {
      await alice.close();
    }
  });

  it('announces the lab coturn through XEP-0215, with TURN credentials from coturn\'s shared secret', async () => {
    const turn = lab.info.turn;
    assert.ok(turn, 'the shared lab runs coturn');
    const alice = await XmppConnection.connect(server.login('alice'));
    try {
      const services = await alice.externalServices();
      assert.deepEqual(
        services.map(({ type, host, port, transport }) => ({ type, host, port, transport })),
        [
          { type: 'stun', host: turn.host, port: turn.port, transport: 'udp' },
          { type: 'turn', host: turn.host, port: turn.port, transport: 'udp' },
        ],
      );
      const { username, password } = services[1];
      assert.ok(username && password);
      // coturn's use-auth-secret: the username starts with the expiry (Unix seconds), the password is its HMAC-SHA1.
      assert.ok(Number(username.split(':')[0]) > Date.now() / 1000, `username ${username} carries no future expiry`);
      assert.equal(password, createHmac('sha1', turn.secret).update(username).digest('base64'));
    } finally {
      await alice.close();
    }
  });

  it('carries earshot-to-earshot calls, by JMI and by direct session-initiate, audio both ways', async () => {
    const reference = await loadReference();
    const [alice, bob] = await Promise.all([Endpoint.login(server.login('alice')), Endpoint.login(server.login('bob'))]);
    try {
      bob.autoAnswer({ allow: ['alice@localhost'], media: { play: reference, loop: true } });
      for (const jmi of [true, false]) {
        const answered = bob.onIncomingCall.next();
        const call = await alice.call(jmi ? 'bob@localhost' : bob.self, { play: reference, loop: true, jmi });
        const [incoming] = await answered;
        await call.onConnected.next();
        setTimeout(() => call.hangUp(), MEDIA_MS);
        const report: CallReport = reportBothEnds(...(await Promise.all([call.ended, incoming.ended])));
        assert.equal(report.signalling, jmi ? 'jmi' : 'direct');
        assert.equal(report.end.condition, 'success');
        for (const direction of report.directions) {
          assert.ok((direction.packets.received ?? 0) > 50, `${direction.to} received ${direction.packets.received} packets in ${MEDIA_MS} ms`);
        }
      }
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('runs a second instance beside the first, each with its own accounts', async () => {
    assert.notEqual(server.info.pid, beside.info.pid);
    const erin = await XmppConnection.connect(beside.login('erin'));
    await erin.close();
    const aliceThere = { ...server.login('alice'), port: beside.info.ports.c2s };
    await assert.rejects(XmppConnection.connect(aliceThere), (error: unknown) => error instanceof SaslError && error.condition === 'not-authorized');
  });

  it('fails with ejabberd\'s log tail when it does not answer in time, and leaves nothing running', async () => {
    const slowDir = join(dir, 'slow');
    await assert.rejects(
      EjabberdServer.start({ dir: slowDir, ports: { c2s: await freeTcpPort(), http: await freeTcpPort() }, ...certificates, startTimeoutMs: 1 }),
      /ejabberd did not start: no answer on 127\.0\.0\.1:\d+ within 1 ms\n--- last lines of .*ejabberd\.log/,
    );
    assert.deepEqual(processIds((command) => command.includes(slowDir)), []);
  });

  it('stops (twice if asked) leaving no ejabberd, beam or epmd process of its own', async () => {
    const ours = [server.info.pid, ...descendants(server.info.pid), beside.info.pid, ...descendants(beside.info.pid)];
    assert.ok(ours.length >= 4, `expected each VM with its helper process, found ${ours.join(', ')}`);
    await Promise.all([server.stop(), server.stop(), beside.stop()]);
    // The VM's helper (erl_child_setup) exits just after the VM itself.
    for (let waited = 0; waited < 2000 && ours.some(isRunning); waited += 50) await delay(50);
    assert.deepEqual(ours.filter(isRunning).map((pid) => `${pid} ${readProc(pid, 'cmdline')}`), []);
    assert.deepEqual(processIds((command) => command.includes(dir)), []);
    const epmdAfter = processIds((command) => command.startsWith('epmd') || command.includes('/epmd'));
    assert.deepEqual(epmdAfter.filter((pid) => !epmdBefore.includes(pid)), [], 'an epmd was started');
  });
});

/** Processes (not zombies) whose command line passes `matches`. */
function processIds(matches: (commandLine: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => isRunning(pid) && matches(readProc(pid, 'cmdline').split('\0').join(' ')));
}

function descendants(pid: number): number[] {
  const children = readProc(pid, `task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function isRunning(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function rssMegabytes(pid: number): number {
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(readProc(pid, 'status'))?.[1] ?? NaN);
  return Math.round(kilobytes / 1024);
}

function readProc(pid: number, file: string): string {
  const path = `/proc/${pid}/${file}`;
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  } catch {
    return ''; // gone meanwhile
  }
}
