// Headless Chromium through the hosted MFA step and a real WebAuthn ceremony.
//
// 1. A user with TOTP on signs in through the hosted form: the password leads to the MFA step
//    (`login-mfa-form`), a wrong code is refused, the code computed here (RFC 6238 with
//    node:crypto, checked against the RFC's test vector) signs in with a session cookie.
// 2. A passkey is registered and then used for a passwordless sign-in by Chromium's own
//    WebAuthn implementation, backed by a DevTools virtual authenticator (CTAP2, internal,
//    resident keys, user verification). The hosted pages run no scripts, so the ceremony is
//    driven by script evaluated in a page of the server's origin, calling the JSON API.
//
// Environment: JANUA_URL (http://127.0.0.1:PORT), JANUA_PASSKEY_URL (http://localhost:PORT, the
// WebAuthn origin; RP ID localhost), CHROMIUM (default /usr/bin/chromium).
// Prints one line per check and `N passed, M failed`; exits 1 on any failure.

import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';

const base = process.env.JANUA_URL;
const passkeyBase = process.env.JANUA_PASSKEY_URL;
if (!base || !passkeyBase) {
  console.error('JANUA_URL and JANUA_PASSKEY_URL are required');
  process.exit(2);
}

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}: ${error.message}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP with HMAC-SHA-1 at Unix time `seconds`. */
function totp(key, seconds, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

async function api(path, { method = 'POST', body, token } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const password = 'Browser-Mfa-Passw0rd!';
async function newUser(prefix) {
  const email = `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const signup = await api('/api/v1/auth/signup', { body: { email, password } });
  assert(signup.status === 200, `sign-up ${signup.status}`);
  return { email, token: signup.body.tokens.access_token };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 30_000,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  await check('the test TOTP agrees with the RFC 6238 test vector', async () => {
    const code = totp(Buffer.from('12345678901234567890'), 59, 8);
    assert(code === '94287082', code);
  });

  const mfaUser = await newUser('browser-mfa');
  let key;
  await check('TOTP is enabled and verified through the API', async () => {
    const enabled = await api('/api/v1/mfa/enable', { token: mfaUser.token, body: { password } });
    assert(enabled.status === 200, `enable ${enabled.status}`);
    key = base32Decode(enabled.body.secret);
    const verified = await api('/api/v1/mfa/verify', {
      token: mfaUser.token,
      body: { code: totp(key, Date.now() / 1000) },
    });
    assert(verified.status === 200, `verify ${verified.status} ${JSON.stringify(verified.body)}`);
  });

  const context = await browser.newContext({ viewport: { width: 800, height: 640 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();

  await check('the password leads to the MFA step, not to a session', async () => {
    await page.goto(`${base}/api/v1/auth/login?next=/api/v1/auth/session`);
    await page.fill('#email', mfaUser.email);
    await page.fill('#password', password);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login-form')),
      page.click('#login-form button[type=submit]'),
    ]);
    assert(response.status() === 200, `status ${response.status()}`);
    await page.locator('#login-mfa-form').waitFor({ state: 'visible' });
    assert(await page.locator('#code').isVisible(), '#code not visible');
    const cookies = await context.cookies(base);
    assert(!cookies.some((c) => c.name === 'janua_session'), 'janua_session set before the code');
  });

  await check('a wrong code is refused on the MFA step', async () => {
    const now = Date.now() / 1000;
    const good = new Set([-1, 0, 1].map((s) => totp(key, now + 30 * s)));
    const wrong = ['000000', '111111', '222222'].find((c) => !good.has(c));
    await page.fill('#code', wrong);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login-mfa-form')),
      page.click('#login-mfa-form button[type=submit]'),
    ]);
    assert(response.status() === 401, `status ${response.status()}`);
    await page.locator('[role=alert]').waitFor({ state: 'visible' });
    await page.locator('#login-mfa-form').waitFor({ state: 'visible' });
  });

  await check('the right code signs in and continues to next', async () => {
    // The enrolment used the current step; the next one is within the ±1 step window.
    await page.fill('#code', totp(key, Date.now() / 1000 + 30));
    await Promise.all([
      page.waitForURL(`${base}/api/v1/auth/session`),
      page.click('#login-mfa-form button[type=submit]'),
    ]);
    const body = JSON.parse(await page.locator('body').innerText());
    assert(body.authenticated === true, JSON.stringify(body));
    assert(body.user.email === mfaUser.email, `email ${body.user.email}`);
    const cookie = (await context.cookies(base)).find((c) => c.name === 'janua_session');
    assert(cookie && cookie.httpOnly, 'no HttpOnly janua_session cookie');
  });
  await context.close();

  const passkeyUser = await newUser('browser-passkey');
  // bypassCSP: the pages forbid scripts; this test injects its own into a page of the origin.
  const pkContext = await browser.newContext({ bypassCSP: true });
  pkContext.setDefaultTimeout(15_000);
  const pkPage = await pkContext.newPage();
  await pkPage.goto(`${passkeyBase}/api/v1/auth/login`);
  const cdp = await pkContext.newCDPSession(pkPage);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  const helpers = `
    const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
      .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    const unb64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')
      + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
    const post = async (path, body, token) => {
      const headers = { 'content-type': 'application/json' };
      if (token) headers.authorization = 'Bearer ' + token;
      const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };`;

  await check('Chromium registers a passkey with the virtual authenticator', async () => {
    const result = await pkPage.evaluate(`(async () => { ${helpers}
      const options = (await post('/api/v1/passkeys/register/options', {}, ${JSON.stringify(passkeyUser.token)})).body;
      options.challenge = unb64(options.challenge);
      options.user.id = unb64(options.user.id);
      options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: unb64(c.id) }));
      const cred = await navigator.credentials.create({ publicKey: options });
      const credential = {
        id: cred.id, rawId: b64(cred.rawId), type: cred.type,
        response: {
          clientDataJSON: b64(cred.response.clientDataJSON),
          attestationObject: b64(cred.response.attestationObject),
          transports: cred.response.getTransports ? cred.response.getTransports() : [],
        },
        clientExtensionResults: cred.getClientExtensionResults(),
      };
      return post('/api/v1/passkeys/register/verify', { credential, name: 'Chromium' }, ${JSON.stringify(passkeyUser.token)});
    })()`);
    assert(result.status === 200, `verify ${result.status} ${JSON.stringify(result.body)}`);
    assert(result.body.verified === true, JSON.stringify(result.body));
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert(credentials.length === 1 && credentials[0].isResidentCredential, 'one resident credential');
  });

  await check('Chromium signs in with the passkey, passwordless (discoverable)', async () => {
    const result = await pkPage.evaluate(`(async () => { ${helpers}
      const options = (await post('/api/v1/passkeys/authenticate/options', {})).body;
      const sessionId = options.sessionId;
      const publicKey = {
        challenge: unb64(options.challenge), rpId: options.rpId, timeout: options.timeout,
        userVerification: options.userVerification,
        allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: unb64(c.id) })),
      };
      const cred = await navigator.credentials.get({ publicKey });
      const credential = {
        id: cred.id, rawId: b64(cred.rawId), type: cred.type,
        response: {
          clientDataJSON: b64(cred.response.clientDataJSON),
          authenticatorData: b64(cred.response.authenticatorData),
          signature: b64(cred.response.signature),
          userHandle: cred.response.userHandle ? b64(cred.response.userHandle) : null,
        },
        clientExtensionResults: cred.getClientExtensionResults(),
      };
      return post('/api/v1/passkeys/authenticate/verify', { credential, sessionId });
    })()`);
    assert(result.status === 200, `verify ${result.status} ${JSON.stringify(result.body)}`);
    assert(result.body.user.email === passkeyUser.email, JSON.stringify(result.body.user));
    const claims = JSON.parse(Buffer.from(result.body.access_token.split('.')[1], 'base64url'));
    assert(claims.amr.includes('hwk') && claims.amr.includes('mfa'), `amr ${claims.amr}`);
  });
  await pkContext.close();
} finally {
  await browser.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
