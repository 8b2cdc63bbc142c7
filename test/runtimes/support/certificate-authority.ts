/**
 * A certificate authority and a server certificate it signed, for
 * localhost and 127.0.0.1, made with the openssl CLI at test time. Runtimes
 * built on rustls or BoringSSL (Deno, Bun, workerd) refuse a self-signed CA
 * certificate used as the server's own, so the TLS tests of those runtimes
 * trust this CA and the server presents the leaf.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface CertificateAuthority {
  /** The CA's certificate (PEM): what the client trusts. */
  readonly ca: string;
  /** The server's certificate (PEM), signed by the CA. */
  readonly cert: string;
  /** The server's private key (PEM). */
  readonly key: string;
}

export async function certificateAuthority(): Promise<CertificateAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'wsdriver-ca-'));
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => promisify(execFile)('openssl', args);
  try {
    // The -subj/-addext forms keep openssl from asking anything on stdin.
    await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=wsdriver test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign', '-keyout', file('ca.key'), '-out', file('ca.pem'),
    ]);
    await openssl([
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr'),
    ]);
    await writeFile(
      file('server.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
    );
    await openssl([
      'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '1', '-extfile', file('server.ext'), '-out', file('server.pem'),
    ]);
    const [ca, cert, key] = await Promise.all(['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(file(name), 'utf8')));
    return { ca: ca!, cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
