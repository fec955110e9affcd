// Jingle's errors (jingle/) as the stanza errors the xmpp layer sends and receives.
import { el } from '../util/index.js';
import { JingleError, NS, parseJingleErrorElement } from '../jingle/index.js';
import { StanzaError } from '../xmpp/index.js';

export function toStanzaError(error: JingleError): StanzaError {
  return new StanzaError(error.condition, {
    type: error.type,
    text: error.text,
    application: error.jingleCondition ? el(error.jingleCondition, { xmlns: NS.jingleErrors }) : undefined,
  });
}

/** A failed Jingle request, read back as a JingleError (with its Jingle condition, if the peer gave one). */
export function fromStanzaError(error: StanzaError): JingleError {
  const errorEl = el('error', { type: error.type }, el(error.condition, { xmlns: NS.stanzas }), error.application);
  const parsed = parseJingleErrorElement(errorEl);
  return error.text ? new JingleError({ condition: parsed.condition, jingleCondition: parsed.jingleCondition, type: parsed.type, text: error.text }) : parsed;
}
