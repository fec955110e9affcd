import assert from 'node:assert/strict';
import { EARSHOT_PAYLOAD_TYPES, negotiateCodec, offeredPayloadTypes, parseJingle, type PayloadType } from '../../src/jingle/index.js';
import { fixtureXml } from './helpers.js';

const offerOf = (fixture: string): PayloadType[] => parseJingle(fixtureXml(fixture)).contents[0]?.description?.payloadTypes ?? [];
const describe_ = (pt: PayloadType | undefined) => (pt ? `${pt.id} ${pt.name}/${pt.clockrate}${pt.channels ? `/${pt.channels}` : ''}` : undefined);

describe('jingle/codecs', () => {
  it('offers opus/48000/2 with fmtp, PCMU, PCMA and both telephone-events, in that order', () => {
    assert.deepEqual(EARSHOT_PAYLOAD_TYPES.map(describe_), [
      '111 opus/48000/2',
      '0 PCMU/8000',
      '8 PCMA/8000',
      '101 telephone-event/48000',
      '126 telephone-event/8000',
    ]);
    assert.deepEqual(EARSHOT_PAYLOAD_TYPES[0]?.parameters, { minptime: '10', useinbandfec: '1' });
    assert.deepEqual(offeredPayloadTypes().map(describe_), EARSHOT_PAYLOAD_TYPES.map(describe_));
  });

  it('a forced codec offers only it and the telephone-event of its clock rate', () => {
    assert.deepEqual(offeredPayloadTypes(['PCMA']).map(describe_), ['8 PCMA/8000', '126 telephone-event/8000']);
    assert.deepEqual(offeredPayloadTypes(['opus']).map(describe_), ['111 opus/48000/2', '101 telephone-event/48000']);
    assert.throws(() => offeredPayloadTypes(['G729']), /cannot offer codec 'G729'/);
  });

  it('offered payload types are copies: changing them leaves the defaults alone', () => {
    const [opus] = offeredPayloadTypes();
    opus!.parameters.maxplaybackrate = '16000';
    assert.deepEqual(EARSHOT_PAYLOAD_TYPES[0]?.parameters, { minptime: '10', useinbandfec: '1' });
  });

  it('answers Conversations with its first offered codec that we support, keeping its ids', () => {
    const chosen = negotiateCodec(offerOf('conversations-session-initiate.xml'), ['opus', 'PCMU', 'PCMA']);
    assert.equal(describe_(chosen?.audio), '111 opus/48000/2');
    assert.equal(describe_(chosen?.telephoneEvent), '110 telephone-event/48000');
  });

  it('offer order wins over our preference order (like Dino); a forced codec is honored', () => {
    const offer = offerOf('farstream-session-initiate.xml'); // SPEEX, PCMA, PCMU, telephone-event/8000
    assert.equal(describe_(negotiateCodec(offer, ['opus', 'PCMU', 'PCMA'])?.audio), '8 PCMA/8000');
    const forced = negotiateCodec(offer, ['PCMU']);
    assert.equal(describe_(forced?.audio), '0 PCMU/8000');
    assert.equal(describe_(forced?.telephoneEvent), '101 telephone-event/8000');
  });

  it('Dino: opus at pt 96; no telephone-event at 48000, so none is chosen', () => {
    const chosen = negotiateCodec(offerOf('dino-session-initiate.xml'), ['opus']);
    assert.equal(describe_(chosen?.audio), '96 opus/48000/2');
    assert.equal(chosen?.telephoneEvent, undefined);
  });

  it('opus offered without channels is answered as opus/48000/2 (INTEROP bug 3); names match case-insensitively', () => {
    const chosen = negotiateCodec([{ id: 120, name: 'OPUS', clockrate: 48000, parameters: {} }], ['opus']);
    assert.equal(describe_(chosen?.audio), '120 OPUS/48000/2');
  });

  it('a codec at a clock rate we cannot do is skipped; nothing supported gives undefined', () => {
    const offer: PayloadType[] = [
      { id: 97, name: 'opus', clockrate: 16000, parameters: {} },
      { id: 0, name: 'PCMU', clockrate: 8000, parameters: {} },
    ];
    assert.equal(describe_(negotiateCodec(offer, ['opus', 'PCMU'])?.audio), '0 PCMU/8000');
    assert.equal(negotiateCodec([{ id: 9, name: 'G722', clockrate: 8000, parameters: {} }], ['opus', 'PCMU', 'PCMA']), undefined);
    assert.equal(negotiateCodec([{ id: 101, name: 'telephone-event', clockrate: 8000, parameters: {} }], ['telephone-event']), undefined);
  });
});
