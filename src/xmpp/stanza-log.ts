// Text of stanzas for logs, with SASL payloads masked: they carry the password (PLAIN) or material
// to attack it offline (SCRAM), so they never reach a log. Registered secrets are scrubbed too.
import { scrub } from '../util/log.js';
import { el, type Element } from '../util/xml.js';
import { NS_SASL } from './sasl.js';

const maskedSaslElements = new Set(['auth', 'response', 'challenge', 'success']);

export function stanzaLogText(element: Element): string {
  if (element.getNS() === NS_SASL && maskedSaslElements.has(element.name) && element.getText() !== '') {
    return el(element.name, element.attrs, '***').toString();
  }
  return scrub(element.toString());
}
