// An answering bot on a real server must be visible to its callers: Conversations and Dino offer a call only to
// a contact whose presence (with entity caps) they receive. Fresh lab accounts, in nobody's roster, ask the bot.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Endpoint } from '../../src/call/index.js';
import { labAccountConfig } from '../../src/lab/index.js';
import { el, type Element } from '../../src/util/index.js';
import { XmppConnection } from '../../src/xmpp/index.js';
import { sharedLab } from '../helpers/lab.js';

const NO_ANSWER_WAIT_MS = 1500;

describe('presence subscriptions to an answering endpoint', function () {
  this.timeout(20_000);
  const suffix = randomBytes(3).toString('hex');
  let bot: Endpoint;
  let fan: XmppConnection;
  let stranger: XmppConnection;
  const heardBy = { fan: [] as Element[], stranger: [] as Element[] };

  before(async () => {
    const lab = await sharedLab();
    for (const name of ['bot', 'fan', 'stranger']) await lab.registerAccount(`${name}-${suffix}`);
    const login = (name: string) => labAccountConfig(lab.info, `${name}-${suffix}`);
    [bot, fan, stranger] = await Promise.all([Endpoint.login(login('bot'), { useExternalServices: false }), XmppConnection.connect(login('fan')), XmppConnection.connect(login('stranger'))]);
    fan.onPresence.subscribe((presence) => heardBy.fan.push(presence));
    stranger.onPresence.subscribe((presence) => heardBy.stranger.push(presence));
    bot.autoAnswer({ allow: [`fan-${suffix}@localhost`], media: { play: { path: 'silence', samples: new Float32Array(960), sampleRate: 48_000 } } });
  });

  after(async () => {
    await Promise.all([bot?.close(), fan?.close(), stranger?.close()]);
  });

  const botJid = () => `bot-${suffix}@localhost`;
  const fromBot = (presences: Element[]) => presences.filter((presence) => presence.attrs.from?.split('/')[0] === botJid());

  it("approves an allowed caller's request: the caller then receives the bot's presence, with its entity caps", async () => {
    await fan.send(el('presence', { to: botJid(), type: 'subscribe' }));
    // The fan asked for no roster, so Prosody delivers it no <subscribed/>: the presence it now gets is the proof.
    const online = () => fromBot(heardBy.fan).find((presence) => presence.attrs.type === undefined && presence.attrs.from === bot.self);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !online()) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(online(), `no available presence from ${bot.self}: ${fromBot(heardBy.fan).map(String).join('\n')}`);
    assert.ok(online()!.getChild('c', 'http://jabber.org/protocol/caps'), String(online()));
  });

  it("leaves anyone else's request pending: no approval, and the bot is not seen online", async () => {
    await stranger.send(el('presence', { to: botJid(), type: 'subscribe' }));
    await new Promise((resolve) => setTimeout(resolve, NO_ANSWER_WAIT_MS));
    // Prosody answers the stranger's probe for the bare JID with unavailable: all it may learn.
    const presences = fromBot(heardBy.stranger);
    assert.deepEqual(presences.filter((presence) => presence.attrs.type !== 'unavailable').map(String), []);
  });
});
