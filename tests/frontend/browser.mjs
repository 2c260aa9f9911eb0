// End-to-end test of the front end in a real browser: Debian's chromium
// driven by playwright-core (never downloads a browser).
//   BASE_URL=http://127.0.0.1:8080 ARTIFACTS=dir node browser.mjs
// Walks register -> home signed in -> /secret -> log out -> /secret
// redirects to /login -> log in -> /secret, plus a wrong password and a
// duplicate registration; saves a screenshot of every page; exits non-zero
// at the first failed check.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
if (!base || !out) {
  console.error("usage: BASE_URL=... ARTIFACTS=... node browser.mjs");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const email = `browser-${randomBytes(6).toString("hex")}@example.com`;
const password = `purple elephant ${randomBytes(4).toString("hex")} dances`;
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

// Submit the form and return the final navigation's response status.
async function submit(page, button) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(button),
  ]);
  return resp;
}

// launch() gives chromium a fresh temporary --user-data-dir of its own
// (playwright refuses the flag here and deletes the profile on close).
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-quic", "--no-first-run",
    "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const errors = [];
  // Console errors (CSP violations, missing files) fail the test; the
  // 400/401/409 form answers are expected and logged by chromium too.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (400|401|409) /.test(m.text())) errors.push(m.text());
  });

  // Anonymous home page.
  let resp = await page.goto(`${base}/`);
  check(resp.status() === 200, "GET / is 200");
  check(await page.isVisible('nav a[href="/login"]'), "nav shows Log in");
  check(await page.isVisible('nav a[href="/register"]'), "nav shows Register");
  await shot(page, "home-anonymous");

  // A registration with field errors, then a good one.
  await page.click('nav a[href="/register"]');
  await page.waitForURL(`${base}/register`);
  await shot(page, "register-form");
  await page.fill("#email", "not-an-email");
  await page.fill("#password", "short");
  resp = await submit(page, 'main button[type="submit"]');
  check(resp.status() === 400, "invalid registration is 400");
  check(await page.isVisible("#email-error"), "email error shown next to the field");
  check(await page.isVisible("#password-error"), "password error shown next to the field");
  check((await page.getAttribute("#password", "aria-invalid")) === "true", "password marked aria-invalid");
  await shot(page, "register-errors");

  await page.fill("#email", email);
  await page.fill("#password", password);
  resp = await submit(page, 'main button[type="submit"]');
  check(new URL(page.url()).pathname === "/", "registration lands on /");
  check(resp.status() === 200, "home after registration is 200");
  check((await page.textContent("nav")).includes(email), "nav shows the signed-in email");
  check(await page.isVisible('nav button:has-text("Log out")'), "nav shows a log-out button");
  await shot(page, "home-signed-in");

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "parley_session");
  check(session && session.httpOnly && session.sameSite === "Lax", "session cookie is HttpOnly, SameSite=Lax");

  // The members' page.
  await page.click('nav a[href="/secret"]');
  await page.waitForURL(`${base}/secret`);
  check((await page.textContent("main")).includes("You are logged in as"), "/secret says logged in");
  check((await page.textContent("main")).includes(email), "/secret names the user");
  await shot(page, "secret");

  // Log out; /secret now sends us to the log-in page.
  resp = await submit(page, 'nav button:has-text("Log out")');
  check(new URL(page.url()).pathname === "/", "log-out lands on /");
  check(await page.isVisible('nav a[href="/login"]'), "signed out: nav shows Log in");
  await shot(page, "home-after-logout");
  resp = await page.goto(`${base}/secret`);
  check(new URL(page.url()).pathname === "/login", "/secret redirects to /login after log-out");
  await shot(page, "login-form");

  // Wrong password: generic message, still on the form.
  await page.fill("#email", email);
  await page.fill("#password", "this is not my password");
  resp = await submit(page, 'main button[type="submit"]');
  check(resp.status() === 401, "wrong password is 401");
  check((await page.textContent('[role="alert"]')).includes("Email or password is incorrect."),
    "generic error shown");
  check((await page.inputValue("#email")) === email, "email kept in the form");
  check((await page.inputValue("#password")) === "", "password not echoed back");
  await shot(page, "login-wrong-password");

  // Right password.
  await page.fill("#password", password);
  resp = await submit(page, 'main button[type="submit"]');
  check(new URL(page.url()).pathname === "/", "log-in lands on /");
  resp = await page.goto(`${base}/secret`);
  check(resp.status() === 200 && new URL(page.url()).pathname === "/secret", "/secret after log-in");
  const newSession = (await context.cookies()).find((c) => c.name === "parley_session");
  check(newSession && newSession.value !== session.value, "log-in issued a new session id");

  // Duplicate registration (from a second, signed-out browser context).
  const other = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page2 = await other.newPage();
  page2.setDefaultTimeout(20000);
  await page2.goto(`${base}/register`);
  await page2.fill("#email", email.toUpperCase());
  await page2.fill("#password", `another fine password ${randomBytes(3).toString("hex")}`);
  resp = await submit(page2, 'main button[type="submit"]');
  check(resp.status() === 409, "duplicate registration is 409");
  check((await page2.textContent("#email-error")).includes("already exists"), "duplicate explained next to the field");
  await shot(page2, "register-duplicate");

  // Small screens: the same page on a phone-sized viewport.
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page3 = await phone.newPage();
  await page3.goto(`${base}/login`);
  const overflow = await page3.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "no horizontal scrolling at 375 px");
  await shot(page3, "login-phone");

  check(errors.length === 0, `no console errors (${errors.join("; ")})`);
} catch (err) {
  failed = true;
  console.error(`not ok - ${err.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
