// Which media security earshot takes for a content: DTLS-SRTP (XEP-0320 1.0.0) always; plain RTP (RTP/AVP)
// only when the user asked for it explicitly (allowInsecureRtp, for Farstream peers such as Gajim 1.7);
// SDES-SRTP (XEP-0167 1.2.2 §7, <encryption><crypto/>) never: offered beside DTLS it is ignored, and an
// <encryption required="1"> without a fingerprint is refused even with insecure RTP allowed.
//
// The refusal's reason is security-error rather than incompatible-parameters: XEP-0166 defines security-error for
// "the action is related to a security problem", and Conversations, the strictest DTLS-SRTP client, ends a call
// whose content lacks a fingerprint with exactly that condition, so peers already show it as a security refusal;
// incompatible-parameters reads as a codec or transport mismatch that the peer might retry differently.
import type { Content, Reason } from './model.js';

export type MediaSecurity = 'dtls-srtp' | 'plain-rtp';

/** The security a content gets, or the reason to refuse it (the session-terminate's reason). */
export function mediaSecurity(content: Content, allowInsecureRtp: boolean): MediaSecurity | { refusal: Reason } {
  if (content.transport?.fingerprint) return 'dtls-srtp';
  if (content.description?.encryptionRequired) {
    return {
      refusal: {
        condition: 'security-error',
        text: `content '${content.name}' requires SDES-SRTP, which earshot does not do: DTLS-SRTP is required (XEP-0320)`,
      },
    };
  }
  if (!allowInsecureRtp) {
    return {
      refusal: {
        condition: 'security-error',
        text: `DTLS-SRTP is required: content '${content.name}' has no DTLS fingerprint (XEP-0320); earshot takes plain RTP only when insecure RTP is allowed explicitly`,
      },
    };
  }
  return 'plain-rtp';
}
