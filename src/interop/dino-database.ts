// Dino's SQLite database (~/.local/share/dino/dino.db, schema version 26 in Dino 0.4.2), through the sqlite3
// command: whether Dino has created it, the account row Dino reads at start, and the incoming calls it has seen.
// Dino persists a call when it arrives (with state ENDED, whatever it is: only final states are written), so
// a new row means a new call; the conversation id is what its accept-call action needs.
import { findExecutable } from '../lab/processes.js';
import { InteropError, runCommand } from './commands.js';

export interface DinoIncomingCall {
  /** Dino's call id. */
  id: number;
  /** Dino's conversation id with the caller. */
  conversationId: number;
  /** The caller's JID as Dino stored it (bare, with the resource when Dino has it). */
  from: string;
}

export class DinoDatabase {
  constructor(readonly path: string) {
    if (!findExecutable('sqlite3')) throw new InteropError('sqlite3 is not installed: apt-get install -y sqlite3');
  }

  /** Whether Dino has created its tables (its first start). */
  async isInitialized(): Promise<boolean> {
    const tables = await this.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('account', 'call', 'conversation')").catch(() => []);
    return tables.length === 3;
  }

  /** Adds an enabled account; Dino logs in with it at its next start. */
  async addAccount(bareJid: string, resource: string, password: string): Promise<void> {
    const sql = `INSERT INTO account (bare_jid, resourcepart, password, alias, enabled) VALUES (${quote(bareJid)}, ${quote(resource)}, ${quote(password)}, '', 1);`;
    await runCommand('sqlite3', ['-batch', this.path], { input: sql }); // on stdin: the password stays off the command line
  }

  /** Incoming calls with an id above `afterId`, oldest first. */
  async incomingCallsAfter(afterId: number): Promise<DinoIncomingCall[]> {
    const rows = await this.query(
      'SELECT c.id, v.id, j.bare_jid, COALESCE(c.counterpart_resource, \'\') FROM call c ' +
        'JOIN conversation v ON v.account_id = c.account_id AND v.jid_id = c.counterpart_id AND v.type = 0 ' +
        `JOIN jid j ON j.id = c.counterpart_id WHERE c.direction = 0 AND c.id > ${Math.trunc(afterId)} ORDER BY c.id`,
    );
    return rows.map(([id, conversationId, bareJid, resource]) => ({
      id: Number(id),
      conversationId: Number(conversationId),
      from: resource ? `${bareJid}/${resource}` : bareJid,
    }));
  }

  private async query(sql: string): Promise<string[][]> {
    const output = await runCommand('sqlite3', ['-batch', '-readonly', '-separator', '\t', this.path, sql]);
    return output
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
  }
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
