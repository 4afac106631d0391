// The OpenID provider of the single sign-on tests: oauth2-mock-server (npm, pinned and
// installed by e2e/scripts/prepare.sh test) on 127.0.0.1, with real RS256-signed tokens, its
// published keys (JWKS), PKCE (S256, verified at the token endpoint) and the nonce of the
// authorize request copied into the ID token. Its authorize endpoint answers at once (no login
// form): the browser goes straight back to the hub with a code.
//
// Prints two lines on stdout: the issuer URL, then the URL of a control endpoint (another port)
// where the test says what the next ID tokens are like, until told otherwise:
//
//   POST {control}/next  {"mode": "...", "email": "ann@example.test", "name": "Ann"}
//
//   normal       a valid token for `email`, verified
//   unverified   email_verified: false
//   wrong-aud    an audience that is not the hub's client id
//   expired      exp (and iat) in the past
//   wrong-nonce  a nonce other than the sign-in's
//   other-key    signed by a key the provider never published (same key id)
//
// Usage: node e2e/sso/mock-idp.mjs [PORT]
//   PRESENCE_NODE_DIR: the folder whose node_modules holds oauth2-mock-server
//   (default /var/tmp/presence-hub-node, where prepare.sh installs it).

import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const nodeDir = process.env.PRESENCE_NODE_DIR || '/var/tmp/presence-hub-node';
const requireThere = createRequire(join(nodeDir, 'package.json'));
let entry;
try {
  entry = requireThere.resolve('oauth2-mock-server');
} catch (e) {
  console.error(
    `mock-idp: oauth2-mock-server is not installed in ${nodeDir}/node_modules ` +
      `(run e2e/scripts/prepare.sh test): ${e.message}`,
  );
  process.exit(3);
}
const { OAuth2Server } = await import(pathToFileURL(entry).href);

const MODES = ['normal', 'unverified', 'wrong-aud', 'expired', 'wrong-nonce', 'other-key'];
let next = { mode: 'normal', email: 'nobody@example.test', name: undefined };

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(Number(process.argv[2] || 0), '127.0.0.1');
// The issuer as the hub is configured with (the library would say "localhost").
const issuer = `http://127.0.0.1:${server.address().port}`;
server.issuer.url = issuer;

// A key the provider never publishes, for "a token signed by another key".
const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

// Shapes the ID token before the provider signs it with its own key. The access token (the
// one with a `scope`) is left alone.
server.service.on('beforeTokenSigning', (token) => {
  const claims = token.payload;
  if ('scope' in claims) return;
  const now = Math.floor(Date.now() / 1000);
  claims.sub = `sub-${next.email}`;
  claims.email = next.email;
  claims.email_verified = next.mode !== 'unverified';
  if (next.name) claims.name = next.name;
  if (next.mode === 'wrong-aud') claims.aud = 'some-other-client';
  if (next.mode === 'wrong-nonce') claims.nonce = 'not-the-nonce-of-this-sign-in';
  if (next.mode === 'expired') {
    claims.iat = now - 7200;
    claims.nbf = now - 7200;
    claims.exp = now - 3600;
  }
});

// "other-key": the signed ID token's header and claims, signed again with the unpublished key.
server.service.on('beforeResponse', (response) => {
  const idToken = response.body && response.body.id_token;
  if (next.mode !== 'other-key' || typeof idToken !== 'string') return;
  const [header, claims] = idToken.split('.');
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), otherKey);
  response.body.id_token = `${header}.${claims}.${signature.toString('base64url')}`;
});

const control = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/next') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    try {
      const asked = JSON.parse(body || '{}');
      const mode = asked.mode ?? 'normal';
      if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}; one of ${MODES.join(', ')}`);
      if (typeof asked.email !== 'string' || !asked.email.includes('@')) {
        throw new Error('email: an e-mail address is needed');
      }
      next = { mode, email: asked.email, name: asked.name ?? undefined };
      res.writeHead(204).end();
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e.message || e));
    }
  });
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));

console.log(issuer);
console.log(`http://127.0.0.1:${control.address().port}`);

// The test stops it with SIGTERM: nothing to keep.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
