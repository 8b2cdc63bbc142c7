// `deno check` of a consumer: the published types, as Deno reads them.
import { Driver, maskingImplementation, type CloseEvent, type MaskingImplementation } from 'wsdriver';
import { runOverStreams, type ByteStreamPair } from 'wsdriver/streams';
import { bindHandler } from 'wsdriver/callbacks';

export function open(conn: ByteStreamPair): Promise<CloseEvent> {
  const { driver } = runOverStreams(conn, (socket) => Driver.client(socket), { url: 'ws://127.0.0.1/' });
  const kernel: MaskingImplementation = maskingImplementation();
  driver.on('open', () => driver.text(`masking: ${kernel}`));
  bindHandler(driver, { onMessage: (client, data) => client.write(data) });
  driver.start();
  return new Promise((resolve) => driver.on('close', resolve));
}
