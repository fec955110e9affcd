// Gajim 1.7's settings database (<XDG_CONFIG_HOME>/gajim/settings.sqlite, user_version 5), written before
// Gajim's first start so that it starts logged in to one account, with no dialogs: the same two tables Gajim
// creates (JSON per row), plus what a headless peer needs: the password kept in the settings (no keyring),
// PulseAudio as microphone and speaker, no sounds, no STUN, and earshot's auto-answer plugin switched on
// (Gajim leaves a plugin it did not ship switched off until the user enables it).
import { findExecutable } from '../lab/processes.js';
import { InteropError, runCommand } from './commands.js';

export const AUTO_ANSWER_PLUGIN = 'earshot_autoanswer';
/** Gajim's name for the one account: what its logs call it. */
export const GAJIM_ACCOUNT = 'earshot';
const SCHEMA_VERSION = 5;

export interface GajimAccountSettings {
  localpart: string;
  domain: string;
  resource: string;
  password: string;
}

/** The SQL that creates the settings database; it holds the password, so it goes to sqlite3 on stdin. */
export function gajimSettingsSql(account: GajimAccountSettings): string {
  const app = {
    use_keyring: false,
    // Gajim puts a volume element named gajim_vol after the source and drives it from its call window.
    audio_input_device: 'pulsesrc ! volume name=gajim_vol',
    audio_output_device: 'pulsesink',
    sounds_on: false,
    use_stun_server: false,
    check_for_update: false,
    show_notifications: false,
    ask_online_status: false,
    autoaway: false,
    autoxa: false,
  };
  const settings: Record<string, unknown> = {
    app,
    soundevents: {},
    status_presets: {},
    proxies: {},
    plugins: { [AUTO_ANSWER_PLUGIN]: { active: true } },
    workspaces: { 'earshot-workspace': {} },
  };
  const accountSettings = {
    account: {
      name: account.localpart,
      hostname: account.domain,
      resource: account.resource,
      password: account.password,
      savepass: true,
      active: true,
      autoconnect: true,
      account_label: 'earshot peer',
    },
    contact: {},
    group_chat: {},
  };
  return [
    'CREATE TABLE settings (name TEXT UNIQUE, settings TEXT);',
    'CREATE TABLE account_settings (account TEXT UNIQUE, settings TEXT);',
    ...Object.entries(settings).map(([name, value]) => `INSERT INTO settings (name, settings) VALUES (${quote(name)}, ${quote(JSON.stringify(value))});`),
    `INSERT INTO account_settings (account, settings) VALUES (${quote(GAJIM_ACCOUNT)}, ${quote(JSON.stringify(accountSettings))});`,
    `PRAGMA user_version = ${SCHEMA_VERSION};`,
    '',
  ].join('\n');
}

export async function writeGajimSettings(path: string, account: GajimAccountSettings): Promise<void> {
  if (!findExecutable('sqlite3')) throw new InteropError('sqlite3 is not installed: apt-get install -y sqlite3');
  await runCommand('sqlite3', ['-batch', path], { input: gajimSettingsSql(account) });
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
