import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isProsodyRunning, isTurnRunning, Lab, readLabState, type LabInfo } from '../../src/lab/index.js';

const labModule = new URL('../../src/lab/index.js', import.meta.url).pathname;
const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const run = promisify(execFile);

/** Whether the lab's servers are gone; zombies count as gone (their command line is empty). */
async function gone(info: LabInfo, withinMs = 5000): Promise<boolean> {
  for (let waited = 0; waited < withinMs; waited += 25) {
    if (!isProsodyRunning(info) && !isTurnRunning(info)) return true;
    await sleep(25);
  }
  return false;
}

/** Runs a Node program that starts a lab in `dir`, prints its info and then does `then`. */
function labOwner(dir: string, then: string): Promise<{ info: LabInfo; child: ReturnType<typeof spawn> }> {
  const program = `
    import { Lab } from ${JSON.stringify(labModule)};
    const lab = await Lab.start({ dir: ${JSON.stringify(dir)} });
    process.stdout.write(JSON.stringify(lab.info) + '\\n');
    ${then}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve({ info: JSON.parse(output) as LabInfo, child });
    });
    child.once('exit', (code) => reject(new Error(`lab owner exited with ${code} before starting the lab`)));
  });
}

describe('lab: lifecycle', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-lab-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops both servers, removes lab.json, and can be stopped twice', async () => {
    const lab = await Lab.start({ dir, accounts: ['alice'] });
    const { info } = lab;
    assert.equal(isProsodyRunning(info), true);
    assert.equal(isTurnRunning(info), true);
    await assert.rejects(Lab.start({ dir }), /a lab is already running in .*earshot lab down/);

    await Promise.all([lab.stop(), lab.stop()]);
    await lab.stop();
    assert.equal(isProsodyRunning(info), false);
    assert.equal(isTurnRunning(info), false);
    assert.equal(existsSync(join(dir, 'lab.json')), false);
    assert.equal(readLabState(dir), undefined);
    await assert.rejects(lab.registerAccount('late'), /stopped/);
  });

  it('runs without coturn when asked', async () => {
    const lab = await Lab.start({ dir, turn: false, accounts: [] });
    try {
      assert.equal(lab.info.turn, undefined);
      assert.equal(lab.info.turnPid, undefined);
      assert.deepEqual(lab.info.accounts, []);
    } finally {
      await lab.stop();
    }
  });

  it('refuses fixed ports that are already taken', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await assert.rejects(Lab.start({ dir, ports: { c2s: port } }), new RegExp(`ports already in use on 127.0.0.1: c2s ${port}`));
      await assert.rejects(Lab.start({ dir, ports: { c2s: 70000 } }), /lab port c2s must be 1-65535/);
    } finally {
      server.close();
    }
  });

  it('rejects bad names and a missing Prosody with a clear error', async () => {
    await assert.rejects(Lab.start({ dir, domain: 'Not A Domain' }), /"Not A Domain" is not a valid lab domain/);
    await assert.rejects(Lab.start({ dir, accounts: ['alice smith'] }), /"alice smith" is not a valid lab username/);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(Lab.start({ dir }), /Prosody is not installed: apt-get install -y prosody/);
    } finally {
      process.env.PATH = path;
    }
  });

  describe('when Prosody does not come up', () => {
    let fakeBin: string;
    let path: string | undefined;
    /** Puts a fake `prosody` first in $PATH; the real prosodyctl and coturn stay reachable. */
    const fakeProsody = (script: string) => {
      fakeBin = mkdtempSync(join(tmpdir(), 'earshot-fake-prosody-'));
      writeFileSync(join(fakeBin, 'prosody'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      path = process.env.PATH;
      process.env.PATH = `${fakeBin}:${path}`;
    };
    afterEach(() => {
      process.env.PATH = path;
      rmSync(fakeBin, { recursive: true, force: true });
    });
    const labProcesses = async () => (await run('pgrep', ['-f', dir]).catch(() => ({ stdout: '' }))).stdout.trim();

    it('says that it exited, with its output, and leaves nothing running', async () => {
      fakeProsody('echo "config error: something is wrong" >&2; exit 1');
      await assert.rejects(Lab.start({ dir }), (error: Error) => {
        assert.match(error.message, /^Prosody did not start: it exited\n--- last lines of .*prosody\.log:/);
        assert.match(error.message, /--- prosody output:\nconfig error: something is wrong/);
        return true;
      });
      assert.equal(await labProcesses(), '');
    });

    it('gives up after the start timeout, and stops what it started', async () => {
      fakeProsody('exec sleep 30');
      await assert.rejects(Lab.start({ dir, startTimeoutMs: 300 }), /^LabError: Prosody did not start: nothing accepted TCP connections on 127\.0\.0\.1:\d+ within 300 ms/);
      assert.equal(await labProcesses(), '');
    });
  });

  describe('never outlives the process that started it', () => {
    it('when that process is killed with SIGKILL', async () => {
      const { info, child } = await labOwner(dir, 'setInterval(() => {}, 1000);');
      assert.equal(isProsodyRunning(info) && isTurnRunning(info), true);
      child.kill('SIGKILL');
      assert.equal(await gone(info), true);
    });

    it('when it exits without stopping the lab', async () => {
      const { info } = await labOwner(dir, 'process.exit(0);');
      assert.equal(await gone(info), true);
    });

    it('when it gets SIGINT and nothing else handles it, and it still dies of SIGINT', async () => {
      const { info, child } = await labOwner(dir, 'setInterval(() => {}, 1000);');
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      child.kill('SIGINT');
      assert.equal(await exited, 'SIGINT');
      assert.equal(await gone(info), true);
    });
  });

  describe('earshot lab status, up and down (against a lab another process owns)', () => {
    it('reports the lab without passwords, refuses a second one, and stops it', async () => {
      const lab = await Lab.start({ dir });
      const stoppedFromOutside = lab.onProcessExit.next();
      try {
        const status = await run(process.execPath, [cli, 'lab', 'status', '--dir', dir, '--json']);
        const parsed = JSON.parse(status.stdout) as { running: boolean; ports: unknown; accounts: string[] };
        assert.equal(parsed.running, true);
        assert.deepEqual(parsed.ports, lab.info.ports);
        assert.deepEqual(parsed.accounts, ['alice@localhost', 'bob@localhost', 'carol@localhost', 'dave@localhost']);
        for (const account of lab.info.accounts) assert.equal(status.stdout.includes(account.password), false);
        assert.equal(status.stdout.includes(lab.info.turn?.secret ?? 'no secret'), false);

        const up = await run(process.execPath, [cli, 'lab', 'up', '--dir', dir]);
        assert.match(up.stdout, new RegExp(`^A lab is already running in ${dir} \\(Prosody pid ${lab.info.prosodyPid}\\)`));
        assert.match(up.stdout, /passwords +.*lab\.json/);

        const down = await run(process.execPath, [cli, 'lab', 'down', '--dir', dir]);
        assert.match(down.stdout, new RegExp(`Stopped the lab in .* \\(Prosody pid ${lab.info.prosodyPid}, coturn pid ${lab.info.turnPid}\\)`));
        const [name, code, signal] = await stoppedFromOutside;
        assert.ok(['prosody', 'turnserver'].includes(name));
        // coturn dies of the SIGTERM; Prosody catches it and shuts down cleanly (exit code 0): either may be first.
        assert.ok(signal === 'SIGTERM' || (name === 'prosody' && code === 0), `${name} exited with ${code} / ${signal}`);
        assert.equal(await gone(lab.info), true);

        await assert.rejects(run(process.execPath, [cli, 'lab', 'status', '--dir', dir]), (error: { code: number; stdout: string }) => {
          assert.equal(error.code, 3);
          assert.match(error.stdout, /No lab is running/);
          return true;
        });
      } finally {
        await lab.stop();
      }
    });
  });
});
