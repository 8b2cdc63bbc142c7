/**
 * The Node text hooks installed while a fragmented text message is half
 * read (`wsdriver/node` imported lazily): the message keeps the decoding it
 * began with, and arrives whole. Its own file, so the import below is the
 * first of the Node entry in this module graph.
 */
import { expect, it } from 'vitest';
import { decodeCheckedText } from '../../lib/frame/checked-text.js';
import { clientFrame, Op, openServer } from '../helpers/index.js';

it('a text message begun before wsdriver/node loads arrives whole', async () => {
  expect(decodeCheckedText).toBeNull();
  const { driver, rec } = openServer();
  const text = 'héllo '.repeat(400);
  const bytes = new TextEncoder().encode(text);
  // Cut inside a character (é is two bytes): the halves are not UTF-8 on their own.
  const cut = bytes.indexOf(0xa9);
  driver.parse(clientFrame(Op.TEXT, bytes.subarray(0, cut), { fin: false }));
  await import('../../lib/adapters/node/index.js');
  expect(decodeCheckedText).not.toBeNull();
  driver.parse(clientFrame(Op.CONTINUATION, bytes.subarray(cut)));
  expect(rec.of('error')).toEqual([]);
  expect(rec.messages).toEqual([text]);
  // The next message takes the Node path.
  driver.parse(clientFrame(Op.TEXT, bytes.subarray(0, 1000 + 1), { fin: false }));
  driver.parse(clientFrame(Op.CONTINUATION, bytes.subarray(1001)));
  expect(rec.messages).toEqual([text, text]);
});
