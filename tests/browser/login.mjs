// Headless Chromium through the hosted sign-in page: the form renders (with its stylesheet,
// under the pages' CSP), a wrong password is refused, the right one signs in and the
// `janua_session` cookie answers GET /api/v1/auth/session.
//
// Environment: JANUA_URL (http://127.0.0.1:PORT), JANUA_EMAIL, JANUA_PASSWORD,
// SCREENSHOT_DIR (where login-page.png goes), CHROMIUM (default /usr/bin/chromium).
// Prints one line per check and `N passed, M failed`; exits 1 on any failure.

import { chromium } from 'playwright-core';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.JANUA_URL;
const email = process.env.JANUA_EMAIL;
const password = process.env.JANUA_PASSWORD;
const shots = process.env.SCREENSHOT_DIR;
if (!base || !email || !password || !shots) {
  console.error('JANUA_URL, JANUA_EMAIL, JANUA_PASSWORD and SCREENSHOT_DIR are required');
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

/** Distinct RGBA pixels in a PNG, decoded with zlib (8-bit RGB or RGBA, non-interlaced). */
async function distinctColours(path) {
  const { inflateSync } = await import('node:zlib');
  const png = readFileSync(path);
  assert(png.subarray(1, 4).toString() === 'PNG', 'not a PNG');
  let offset = 8;
  let width = 0, height = 0, channels = 0;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString();
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert(data[8] === 8 && data[12] === 0, 'expected 8-bit non-interlaced PNG');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert(channels, `unsupported colour type ${data[9]}`);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  const colours = new Set();
  for (let y = 0; y < height; y += 1) {
    const start = y * (stride + 1);
    const filter = raw[start];
    for (let x = 0; x < stride; x += 1) {
      const value = raw[start + 1 + x];
      const left = x >= channels ? line[x - channels] : 0;
      const up = previous[x];
      const upLeft = x >= channels ? previous[x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left), pb = Math.abs(p - up), pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      line[x] = (value + predictor) & 0xff;
    }
    for (let x = 0; x < stride; x += channels) colours.add(line.readUIntBE(x, channels));
    line.copy(previous);
  }
  return colours.size;
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
  const context = await browser.newContext({ viewport: { width: 800, height: 640 } });
  context.setDefaultTimeout(15_000);
  // Loopback only: anything else the page tries to load is refused (and fails a check).
  const foreign = [];
  await context.route(/.*/, (route) => {
    const url = route.request().url();
    if (url.startsWith(base)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  await check('the login page renders the form with its stylesheet and no CSP errors', async () => {
    const response = await page.goto(`${base}/api/v1/auth/login`);
    assert(response.status() === 200, `status ${response.status()}`);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    assert(await page.locator('#email').isVisible(), '#email not visible');
    assert(await page.locator('#password').isVisible(), '#password not visible');
    const background = await page
      .locator('#login-form button[type=submit]')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    assert(background === 'rgb(47, 91, 211)', `stylesheet not applied (button ${background})`);
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
  });

  const screenshot = join(shots, 'login-page.png');
  await check('the screenshot is a non-trivial PNG', async () => {
    await page.screenshot({ path: screenshot, fullPage: true });
    const blankPage = await context.newPage();
    const blank = join(shots, 'blank.png');
    await blankPage.screenshot({ path: blank });
    await blankPage.close();
    const size = statSync(screenshot).size;
    const colours = await distinctColours(screenshot);
    assert(size > 5_000, `only ${size} bytes`);
    assert(size > 2 * statSync(blank).size, 'no larger than a blank page');
    assert(colours > 50, `only ${colours} distinct colours`);
    console.log(`# ${screenshot}: ${size} bytes, ${colours} colours`);
  });

  await check('a wrong password shows the error and sets no session cookie', async () => {
    await page.fill('#email', email);
    await page.fill('#password', 'Not-The-Password-1!');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login-form')),
      page.click('#login-form button[type=submit]'),
    ]);
    assert(response.status() === 401, `status ${response.status()}`);
    await page.locator('[role=alert]').waitFor({ state: 'visible' });
    const alert = await page.locator('[role=alert]').innerText();
    assert(alert.includes('Invalid email or password'), `alert: ${alert}`);
    const cookies = await context.cookies(base);
    assert(!cookies.some((c) => c.name === 'janua_session'), 'janua_session was set');
  });

  await check('the right password signs in with an HttpOnly SameSite=Lax session cookie', async () => {
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([
      page.waitForURL(`${base}/`),
      page.click('#login-form button[type=submit]'),
    ]);
    const cookie = (await context.cookies(base)).find((c) => c.name === 'janua_session');
    assert(cookie, 'no janua_session cookie');
    assert(cookie.httpOnly, 'not HttpOnly');
    assert(cookie.sameSite === 'Lax', `SameSite=${cookie.sameSite}`);
  });

  await check('GET /api/v1/auth/session answers the signed-in user', async () => {
    const response = await page.goto(`${base}/api/v1/auth/session`);
    assert(response.status() === 200, `status ${response.status()}`);
    const body = await response.json();
    assert(body.authenticated === true, JSON.stringify(body));
    assert(body.user.email === email, `email ${body.user.email}`);
  });

  await check('the /docs API reference renders offline from the embedded Swagger UI', async () => {
    const docs = await context.newPage();
    const response = await docs.goto(`${base}/docs`);
    assert(response.status() === 200, `status ${response.status()}`);
    const title = docs.locator('.swagger-ui .info .title');
    await title.waitFor({ state: 'visible' });
    const text = await title.innerText();
    assert(text.includes('Janua API'), `title: ${text}`);
    assert(await docs.locator('.opblock').count() > 3, 'operations are listed');
    await docs.screenshot({ path: join(shots, 'docs-page.png'), fullPage: false });
    await docs.close();
  });

  await check('the pages loaded nothing from outside the loopback server', async () => {
    assert(foreign.length === 0, foreign.join(', '));
  });
} finally {
  await browser.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
