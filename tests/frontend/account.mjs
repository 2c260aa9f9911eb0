// The account pages in a real browser (issue 14): Debian's chromium driven
// by playwright-core.
//   BASE_URL=... ARTIFACTS=dir BACKEND_BIN=build/bin/back-end DATABASE_URL=... node account.mjs
// Register, change the password, see two sessions (two browser contexts),
// end the other one and see it signed out, delete the account and fail to
// log in with it, recover another account through an operator link; a
// screenshot of every step; exits non-zero at the first failed check.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
if (!base || !out || !process.env.BACKEND_BIN) {
  console.error("usage: BASE_URL=... ARTIFACTS=... BACKEND_BIN=... DATABASE_URL=... node account.mjs");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const tag = () => randomBytes(4).toString("hex");
const email = `acct-${tag()}@example.com`;
const email2 = `recover-${tag()}@example.com`;
const pw1 = `purple elephant ${tag()} dances`;
const pw2 = `green giraffe ${tag()} sings`;
const pw3 = `orange otter ${tag()} swims`;
let step = 0;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function shot(page, name) {
  step += 1;
  const file = join(out, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

async function submit(page, button) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(button),
  ]);
  return resp;
}

async function newPage(browser, errors, viewport = { width: 1200, height: 860 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (400|401|404|409|410) /.test(m.text())) errors.push(m.text());
  });
  return page;
}

async function register(page, mail, pw) {
  await page.goto(`${base}/register`);
  await page.fill("#email", mail);
  await page.fill("#password", pw);
  await submit(page, 'main button[type="submit"]');
  check(new URL(page.url()).pathname === "/", `registered ${mail}`);
}

async function login(page, mail, pw) {
  await page.goto(`${base}/login`);
  await page.fill("#email", mail);
  await page.fill("#password", pw);
  return submit(page, 'main button[type="submit"]');
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-quic", "--no-first-run",
    "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
const errors = [];
let failed = false;
try {
  // Register; the account page is linked from the nav bar.
  const a = await newPage(browser, errors);
  await register(a, email, pw1);
  await a.click('nav a[href="/account"]');
  await a.waitForURL(`${base}/account`);
  check((await a.textContent("main")).includes(email), "/account shows the email");
  check((await a.textContent(".details")).includes("Member since"), "member since shown");
  check(await a.isVisible("text=This session"), "current session marked");
  await shot(a, "account");

  // Change the password: wrong current one first, then right.
  await a.fill("#current_password", "not my password at all");
  await a.fill("#new_password", pw2);
  let resp = await submit(a, 'form[action="/account/password"] button[type="submit"]');
  check(resp.status() === 401, "wrong current password is 401");
  check(await a.isVisible("#current_password-error"), "error next to the current password");
  await shot(a, "password-wrong-current");
  await a.fill("#current_password", pw1);
  await a.fill("#new_password", pw2);
  resp = await submit(a, 'form[action="/account/password"] button[type="submit"]');
  check(new URL(a.url()).pathname === "/account", "back on /account");
  check((await a.textContent('[role="status"]')).includes("password was changed"), "confirmation shown");
  await shot(a, "password-changed");

  // A second browser signs in with the new password: two sessions.
  const b = await newPage(browser, errors);
  resp = await login(b, email, pw2);
  check(new URL(b.url()).pathname === "/", "second browser signed in with the new password");
  await a.reload();
  const rows = await a.locator("table.sessions tbody tr").count();
  check(rows === 2, `two sessions listed (${rows})`);
  await shot(a, "two-sessions");

  // End the other one; the other browser is signed out.
  resp = await submit(a, 'table.sessions form[action="/account/sessions/revoke"] button');
  check((await a.textContent('[role="status"]')).includes("session was logged out"), "revoked notice");
  check((await a.locator("table.sessions tbody tr").count()) === 1, "one session left");
  await shot(a, "other-session-ended");
  resp = await b.goto(`${base}/account`);
  check(new URL(b.url()).pathname === "/login", "the other browser is signed out");
  check(await b.isVisible('nav a[href="/login"]'), "nav of the other browser shows Log in");
  await shot(b, "other-browser-signed-out");

  // Delete the account: a confirmation page, password and checkbox.
  await a.goto(`${base}/account`);
  await a.click('a[href="/account/delete"]');
  await a.waitForURL(`${base}/account/delete`);
  await shot(a, "delete-confirm");
  await a.fill("#password", pw2);
  resp = await submit(a, 'main button[type="submit"]');
  check(resp.status() === 400 && await a.isVisible("#confirm-error"), "confirmation box required");
  await shot(a, "delete-needs-confirmation");
  await a.fill("#password", pw2);
  await a.check("#confirm");
  resp = await submit(a, 'main button[type="submit"]');
  check(resp.status() === 200 && (await a.textContent("h1")).includes("Account deleted"), "account deleted");
  check(await a.isVisible('nav a[href="/login"]'), "signed out after deletion");
  await shot(a, "deleted");
  resp = await login(a, email, pw2);
  check(resp.status() === 401, "log-in with the deleted account fails");
  await shot(a, "deleted-login-fails");

  // Recovery through an operator link.
  const c = await newPage(browser, errors);
  await register(c, email2, pw1);
  const link = execFileSync(process.env.BACKEND_BIN, ["--recovery-link", email2],
    { env: { ...process.env, PUBLIC_URL: base }, encoding: "utf8" }).trim();
  check(link.startsWith(`${base}/recover?token=`), "operator printed a link");
  const d = await newPage(browser, errors);
  resp = await d.goto(link);
  check(resp.status() === 200 && (await d.textContent("main")).includes(email2), "link opens the form");
  await shot(d, "recover-form");
  await d.fill("#new_password", pw3);
  resp = await submit(d, 'main button[type="submit"]');
  check(resp.status() === 200 && (await d.textContent("h1")).includes("new password is set"), "password set");
  await shot(d, "recover-done");
  resp = await c.goto(`${base}/account`);
  check(new URL(c.url()).pathname === "/login", "the account's old session ended");
  resp = await d.goto(link);
  check(resp.status() === 410, "the link works once");
  await shot(d, "recover-link-used");
  resp = await login(d, email2, pw3);
  check(new URL(d.url()).pathname === "/", "log-in with the recovered password");

  // The account page on a phone: no horizontal scrolling.
  const phone = await newPage(browser, errors, { width: 375, height: 740 });
  await login(phone, email2, pw3);
  await phone.goto(`${base}/account`);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "no horizontal scrolling at 375 px");
  await shot(phone, "account-phone");

  check(errors.length === 0, `no console errors (${errors.join("; ")})`);
} catch (err) {
  failed = true;
  console.error(`not ok - ${err.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
