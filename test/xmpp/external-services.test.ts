import assert from 'node:assert/strict';
import { parseXml } from '../../src/util/xml.js';
import { parseExternalServices, toIceServers } from '../../src/xmpp/external-services.js';

// What Prosody 0.12's mod_turn_external answers, plus entries that real servers get wrong.
const services = parseXml(
  '<services xmlns="urn:xmpp:extdisco:2">' +
    '<service type="stun" transport="udp" host="127.0.0.1" port="13478"/>' +
    '<service restricted="1" type="turn" username="1795692850" transport="udp" host="127.0.0.1" port="13478"' +
    ' expires="2026-11-26T11:34:10Z" password="omQ3d92QcMpyluyhk/cjptjrQD8="/>' +
    '<service type="turns" host="turn.example.org" port="5349" username="u" password="p"/>' +
    '<service type="turn" host="::1" port="3478" transport="tcp"/>' +
    '<service type="stun" port="3478"/>' +
    '<service type="turn" host="no-port.example.org" username="u" password="p"/>' +
    '<service type="stun" host="bad-port.example.org" port="70000"/>' +
    '</services>',
);

describe('xmpp/external-services', () => {
  it('reads XEP-0215 services, skipping entries without host or a valid port', () => {
    assert.deepEqual(parseExternalServices(services), [
      { type: 'stun', host: '127.0.0.1', port: 13478, transport: 'udp' },
      {
        type: 'turn',
        host: '127.0.0.1',
        port: 13478,
        transport: 'udp',
        username: '1795692850',
        password: 'omQ3d92QcMpyluyhk/cjptjrQD8=',
        expires: new Date('2026-11-26T11:34:10Z'),
        restricted: true,
      },
      { type: 'turns', host: 'turn.example.org', port: 5349, transport: 'tcp', username: 'u', password: 'p' },
      { type: 'turn', host: '::1', port: 3478, transport: 'tcp' },
    ]);
  });

  it('gives ICE servers, leaving out TURN without credentials', () => {
    assert.deepEqual(toIceServers(parseExternalServices(services)), [
      { urls: 'stun:127.0.0.1:13478' },
      { urls: 'turn:127.0.0.1:13478?transport=udp', username: '1795692850', credential: 'omQ3d92QcMpyluyhk/cjptjrQD8=' },
      { urls: 'turns:turn.example.org:5349?transport=tcp', username: 'u', credential: 'p' },
    ]);
  });

  it('brackets IPv6 hosts in URLs', () => {
    assert.deepEqual(toIceServers([{ type: 'turn', host: '::1', port: 3478, transport: 'udp', username: 'u', password: 'p' }]), [
      { urls: 'turn:[::1]:3478?transport=udp', username: 'u', credential: 'p' },
    ]);
  });
});
