import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Driver } from '../../lib/index.js';
import { concat, latin1Bytes, Recorder } from '../helpers/index.js';
import {
  decodeTextFrames,
  draft76Request,
  draftRequestText,
  FAYE76,
  lengthFrame,
  open75,
  open76,
  sentinelFrame,
} from './draft-helpers.js';

/** Cuts `bytes` at the given fractions of its length. */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const offsets = [...new Set(points.map((p) => Math.floor(p * bytes.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of [...offsets, bytes.length]) {
    if (at > from) chunks.push(bytes.slice(from, at));
    from = Math.max(from, at);
  }
  return chunks;
}

// Full Unicode, lone surrogates excluded: they are not encodable as UTF-8.
const message = fc.string({ unit: 'grapheme', maxLength: 40 });
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 });
// Frames the drafts say to discard, to mix in between the messages.
const noise = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => lengthFrame(bytes, 0x80)),
  fc.string({ maxLength: 20 }).map((text) => sentinelFrame(text, 0x7f)),
);

for (const [version, open] of [
  ['hixie-75', open75],
  ['hixie-76', open76],
] as const) {
  describe(`${version} frames, any chunking`, () => {
    test.prop([fc.array(fc.tuple(message, fc.option(noise)), { maxLength: 20 }), cuts])(
      'parse to the same messages, in order',
      (items, points) => {
        const { driver, rec } = open();
        const stream = concat(...items.flatMap(([text, extra]) => (extra === null ? [sentinelFrame(text)] : [extra, sentinelFrame(text)])));
        for (const chunk of cut(stream, points)) driver.parse(chunk);
        expect(rec.messages).toEqual(items.map(([text]) => text));
        expect(rec.of('error')).toEqual([]);
        expect(driver.readyState).toBe(1);
      },
    );

    test.prop([fc.array(message, { maxLength: 20 })])('what text() sends reads back as the same messages', (messages) => {
      const { driver, rec } = open();
      for (const text of messages) driver.text(text);
      expect(decodeTextFrames(rec.take())).toEqual(messages);
    });

    test.prop([fc.uint8Array({ maxLength: 2000 }), cuts])('arbitrary bytes never throw, and close at most once', (bytes, points) => {
      const { driver, rec } = open({ maxLength: 256 });
      for (const chunk of cut(bytes, points)) driver.parse(chunk);
      driver.transportClosed();
      expect(rec.of('close')).toHaveLength(1);
      expect(rec.of('error').length).toBeLessThanOrEqual(1);
      for (const text of rec.messages) expect(typeof text).toBe('string');
    });
  });
}

describe('the whole exchange, from the first request byte, with allowDrafts', () => {
  test.prop([fc.constantFrom(draftRequestText(), draft76Request()), fc.uint8Array({ maxLength: 500 }), cuts])(
    'never throws on any bytes after the request head, however cut',
    (head, tail, points) => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true, maxLength: 128 }));
      const input = concat(latin1Bytes(head), tail);
      const chunks = cut(input, points);
      const half = Math.floor(chunks.length / 2);
      chunks.slice(0, half).forEach((chunk) => driver.parse(chunk));
      driver.start();
      chunks.slice(half).forEach((chunk) => driver.parse(chunk));
      driver.transportClosed();
      expect(rec.of('close')).toHaveLength(1);
    },
  );

  test.prop([fc.array(message, { maxLength: 10 }), cuts])(
    'hixie-76: messages right behind key3 arrive whatever the chunking',
    (messages, points) => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      const input = concat(latin1Bytes(draft76Request()), FAYE76.key3, ...messages.map((text) => sentinelFrame(text)));
      // start() as soon as the head is in (`connect`), wherever that falls.
      driver.on('connect', () => driver.start());
      for (const chunk of cut(input, points)) driver.parse(chunk);
      expect(rec.messages).toEqual(messages);
      expect(rec.types.slice(0, 2)).toEqual(['connect', 'open']);
    },
  );
});
