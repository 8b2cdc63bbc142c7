// The exchange every runtime test runs, written once in plain JavaScript so
// that Node, Deno, Bun, workerd and a browser page or Worker load it as is.
// It touches only the driver's public API: the runtime's program wires the
// driver to its own sockets and prints the report.

/** 1 MiB of a pattern both sides can regenerate: byte i is (i * 31 + 7) & 255. */
export const BINARY_LENGTH = 1024 * 1024;

export function patternBytes(length = BINARY_LENGTH) {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 255;
  return bytes;
}

/** Index of the first byte that differs from the pattern, or -1. */
export function firstPatternMismatch(bytes, length = BINARY_LENGTH) {
  if (bytes.length !== length) return Math.min(bytes.length, length);
  for (let i = 0; i < length; i++) if (bytes[i] !== ((i * 31 + 7) & 255)) return i;
  return -1;
}

function nextEvent(driver, type) {
  return new Promise((resolve) => driver.once(type, resolve));
}

/**
 * Client side, against an echo server: a text message, 1 MiB of binary
 * compared byte for byte, a ping whose callback must fire, then
 * close(4000, `${name} done`). Resolves with what happened.
 * Call before driver.start(), or at least before `open`.
 */
export async function runClientScenario(driver, name) {
  const errors = [];
  driver.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
  const closed = nextEvent(driver, 'close');
  const opened = Promise.race([nextEvent(driver, 'open').then(() => true), closed.then(() => false)]);
  if (!(await opened)) return { opened: false, errors, close: await closed };

  const text = `hello from ${name} ✓`;
  driver.text(text);
  const textEcho = (await nextEvent(driver, 'message')).data;

  driver.binary(patternBytes());
  const binaryEcho = (await nextEvent(driver, 'message')).data;

  const pingAnswered = await new Promise((resolve) => {
    const sent = driver.ping('are you there', () => resolve(true));
    if (!sent) resolve(false);
  });

  driver.close(4000, `${name} done`);
  const close = await closed;
  return {
    opened: true,
    textEchoed: textEcho === text,
    binaryType: typeof binaryEcho === 'string' ? 'string' : binaryEcho.constructor.name,
    binaryMismatchAt: typeof binaryEcho === 'string' ? 0 : firstPatternMismatch(binaryEcho),
    pingAnswered,
    close: { code: close.code, reason: close.reason, wasClean: close.wasClean },
    errors,
  };
}

/**
 * Server side: echoes every message; on the text "finish" it pings, and
 * once the pong is in, sends "ping answered" and closes with
 * close(4001, `${name} server done`). Resolves with the close event and
 * whether the 1 MiB binary it received matched the pattern.
 */
export function serveScenario(driver, name) {
  const errors = [];
  let binaryMismatchAt = null;
  driver.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
  driver.on('message', ({ data }) => {
    if (data === 'finish') {
      driver.ping('ping from server', () => {
        driver.text('ping answered');
        driver.close(4001, `${name} server done`);
      });
    } else if (typeof data === 'string') {
      driver.text(data);
    } else {
      if (data.length === BINARY_LENGTH) binaryMismatchAt = firstPatternMismatch(data);
      driver.binary(data);
    }
  });
  return nextEvent(driver, 'close').then((close) => ({
    binaryMismatchAt,
    close: { code: close.code, reason: close.reason, wasClean: close.wasClean },
    errors,
  }));
}

/**
 * A client driver and a server driver joined in memory, each one's output
 * handed to the other's parse() on a later microtask, as a transport would.
 * `Driver` is the package's; returns both drivers, not yet started.
 */
export function pairInMemory(Driver, url = 'ws://in-memory.test/') {
  let client;
  let server;
  const deliver = (to) => (bytes) => {
    const copy = bytes.slice(); // the writer may reuse its buffer
    queueMicrotask(() => to().parse(copy));
  };
  client = Driver.client({ url, write: deliver(() => server) });
  server = Driver.server({ write: deliver(() => client) });
  server.on('connect', () => server.start());
  client.on('close', () => queueMicrotask(() => server.transportClosed()));
  server.on('close', () => queueMicrotask(() => client.transportClosed()));
  return { client, server };
}
