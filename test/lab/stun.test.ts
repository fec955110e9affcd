import assert from 'node:assert/strict';
import { isStunBindingSuccess, stunBindingRequest, stunPing } from '../../src/lab/index.js';
import { sharedLab } from '../helpers/lab.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const transactionId = hex('0102030405060708090a0b0c');

describe('lab: STUN probe', () => {
  it('builds a 20-byte Binding request', () => {
    const expected = hex(
      '0001 0000' + // Binding request, no attributes
        '2112a442' + // magic cookie
        '0102030405060708090a0b0c', // transaction id
    );
    assert.deepEqual(stunBindingRequest(transactionId), expected);
  });

  it('recognises a Binding success for its own transaction only', () => {
    const success = hex(`
      0101 000c 2112a442 0102030405060708090a0b0c
      0020 0008 0001 a147 5e12a443`); // XOR-MAPPED-ADDRESS 127.0.0.1:32853
    assert.equal(isStunBindingSuccess(success, transactionId), true);
    assert.equal(isStunBindingSuccess(success, Buffer.alloc(12)), false);
    assert.equal(isStunBindingSuccess(hex('0111 0000 2112a442 0102030405060708090a0b0c'), transactionId), false); // error response
    assert.equal(isStunBindingSuccess(success.subarray(0, 19), transactionId), false);
  });

  it("gets an answer from the lab's coturn, and none from a port without STUN", async () => {
    const lab = await sharedLab();
    assert.ok(lab.info.turn);
    assert.equal(await stunPing(lab.info.turn.host, lab.info.turn.port, 2000), true);
    assert.equal(await stunPing('127.0.0.1', lab.info.ports.c2s, 300), false);
  });
});
