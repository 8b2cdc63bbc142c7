/**
 * What bench/e2e's launchers (run.ts, fairness.ts) share about their child
 * processes: how a script of this folder runs (its plain-JavaScript bundle,
 * bench/plain-script.ts, or the script itself under tsx for comparison),
 * spawning it with the open-file limit raised and an IPC channel, and
 * waiting for its messages.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plainScript } from '../plain-script.js';

const here = dirname(fileURLToPath(import.meta.url));
// What each script runs as, set by prepareScripts.
const launch = new Map<string, readonly string[]>();

/** Bundles each of `scripts` (files of this folder) once, or sets them to run under tsx. */
export async function prepareScripts(scripts: readonly string[], underTsx: boolean): Promise<void> {
  for (const script of scripts) {
    launch.set(script, underTsx ? ['--import', 'tsx', join(here, script)] : [await plainScript(join(here, script))]);
  }
}

/**
 * A child running `script` (prepared above) with `--expose-gc`, Node
 * `flags` and an IPC channel, its open-file soft limit raised to the hard
 * one (10,000 sockets need it), in `env` without the IPC channel this
 * process was given (the child gets its own).
 */
export function spawnScript(script: string, argv: readonly string[], env: NodeJS.ProcessEnv, flags: readonly string[] = []): ChildProcess {
  const args = launch.get(script);
  if (args === undefined) throw new Error(`bench/e2e: ${script} was not prepared`);
  const childEnv = { ...env };
  delete childEnv.NODE_CHANNEL_FD;
  delete childEnv.NODE_CHANNEL_SERIALIZATION_MODE;
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', process.execPath, ...flags, '--expose-gc', ...args, ...argv], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: childEnv,
  });
}

/** The child's next message of `type`; rejects if it exits first. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`process exited (${code}) before sending ${type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Sends `message` and waits for the reply of type `reply`. */
export async function ask<T>(child: ChildProcess, message: object, reply: string): Promise<T> {
  const answer = nextMessage<T>(child, reply);
  child.send(message);
  return answer;
}
