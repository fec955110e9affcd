/** `user@host` of `user@host/resource` (and a bare JID unchanged). */
export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}
