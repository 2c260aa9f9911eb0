// /chat in a real browser (issue 13): Debian's chromium driven by
// playwright-core, two signed-in users on two front ends whose pages talk to
// two chat-server replicas, with a lab-protocol and a telnet user driven by
// the Python side (test_chat_browser.py).  The two sides take turns: this
// script prints "STEP name {json}" and waits for "GO {json}" on stdin.
//   BASE_URL=... BASE_URL2=... ARTIFACTS=dir node chat.mjs
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";

const base = process.env.BASE_URL;
const base2 = process.env.BASE_URL2;
const out = process.env.ARTIFACTS;
if (!base || !base2 || !out) {
  console.error("usage: BASE_URL=... BASE_URL2=... ARTIFACTS=... node chat.mjs");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const tag = () => randomBytes(3).toString("hex");
const name1 = `Ada${tag()}`, name2 = `Bob${tag()}`;
// Rooms of this run only: the suite's other tests share the database, and
// lines said in the lobby would be their lobby's history.
const room = `main${tag()}`, side = `side${tag()}`;
const pw = `purple elephant ${tag()} dances`;
let step = 0;
const t0 = Date.now();
const errors = [];
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function sync(name, data = {}) {
  console.log(`STEP ${name} ${JSON.stringify(data)}`);
  const { value, done } = await stdin.next();
  if (done || !value.startsWith("GO")) throw new Error(`no GO after ${name}: ${value}`);
  return JSON.parse(value.slice(2).trim() || "{}");
}

async function shot(page, name) {
  step += 1;
  await page.evaluate(() => window.scrollTo(0, 0));
  const file = join(out, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot ${file}`);
}

async function newPage(browser, viewport = { width: 1200, height: 820 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 40[19]/.test(m.text()) &&
        !/WebSocket connection .* failed/.test(m.text()))
      errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return page;
}

async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(button)]);
}

async function signUp(page, url, mail, name, taken) {
  await page.goto(`${url}/register`);
  await page.fill("#email", mail);
  await page.fill("#password", pw);
  await submit(page, 'main button[type="submit"]');
  await page.click('a.navlink[href="/chat"]');
  await page.waitForSelector('input[name="name"]');
  if (taken) {
    await page.fill("#name", taken.toUpperCase());
    await submit(page, 'main button[type="submit"]');
    check(/taken/.test(await page.textContent("#name-error")), "another's name, in capitals: taken");
    await shot(page, "name-taken");
  }
  await page.fill("#name", name);
  await submit(page, 'main button[type="submit"]');
  await connected(page);
}

async function connected(page) {
  await page.waitForSelector('#status[data-state="connected"]');
}

const texts = (page) => page.$$eval("#log li", (lis) => lis.map((li) =>
  `${li.querySelector(".from")?.textContent ?? ""}|${li.querySelector(".text").textContent}`));
const count = async (page, from, text) =>
  (await texts(page)).filter((t) => t === `${from}|${text}`).length;

async function seen(page, from, text) {
  await page.waitForFunction(([f, t]) => [...document.querySelectorAll("#log li")].some((li) =>
    (li.querySelector(".from")?.textContent ?? "") === f &&
    li.querySelector(".text").textContent === t), [from, text]);
}

async function here(page, names) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll("#who li")].map((li) => li.firstChild.textContent);
    return want.every((n) => got.includes(n)) && got.length === want.length;
  }, names);
}

async function goTo(page, r) {
  await page.focus("#room");
  await page.keyboard.type(r);
  await page.keyboard.press("Enter");
  await page.waitForFunction((want) =>
    document.querySelector("#room-name").textContent === want, r);
}

async function say(page, text) {
  await page.focus("#message");
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
try {
  const p1 = await newPage(browser);
  const p2 = await newPage(browser, { width: 390, height: 760 });   // a phone
  await signUp(p1, base, `ada-${tag()}@example.com`, name1);
  await signUp(p2, base2, `bob-${tag()}@example.com`, name2, name1);
  check(true, `${name1} and ${name2} chose names and are connected`);
  await goTo(p1, room);                                        // by keyboard
  await goTo(p2, room);

  // The lab client is refused name1, then joins as a guest; the telnet user too.
  const g = await sync("names", { name1, name2, room });
  await here(p1, [name1, name2, g.lab, g.telnet]);
  await here(p2, [name1, name2, g.lab, g.telnet]);
  check(true, "presence: both pages list the four users of both replicas");
  await shot(p1, "desktop-presence");

  await say(p1, `hello from ${name1}`);
  await seen(p2, name1, `hello from ${name1}`);
  check(await count(p1, name1, `hello from ${name1}`) === 1, "own line shown once");
  await sync("sent", { text: `hello from ${name1}` });          // lab + telnet saw it
  await seen(p1, g.lab, `hi ${name1}, from the lab`);
  await seen(p2, g.telnet, "telnet says hi");
  const mention = await p1.$eval("#log li.mention", (li) => li.querySelector("mark").textContent);
  check(mention === name1, "a line mentioning the user is highlighted, the name marked");
  await shot(p1, "desktop-messages-mention");
  await shot(p2, "phone-messages");

  // Room switch by keyboard: "Go to a room", then back with the room button.
  await goTo(p2, side);
  await here(p2, [name2]);
  const d = await sync("in-side", { room: side });               // the lab user follows
  await seen(p2, g.lab, d.text);
  await here(p2, [name2, g.lab]);
  check(await count(p1, g.lab, d.text) === 0, "the other room's line is not in this one");
  await shot(p2, "phone-room-switched");
  await p2.click(`#rooms button:has-text("${room}")`);
  await p2.waitForFunction((want) =>
    document.querySelector("#room-name").textContent === want, room);
  await seen(p2, name1, `hello from ${name1}`);
  check(await count(p2, name1, `hello from ${name1}`) === 1, "back in the room: no repeats");

  // History: a new tab of user 1 shows the room's history first.
  const p3 = await p1.context().newPage();
  await p3.goto(`${base}/chat`);
  await connected(p3);
  await goTo(p3, room);
  await seen(p3, name1, `hello from ${name1}`);
  await seen(p3, g.telnet, "telnet says hi");
  check(true, "a second tab of the same account gets the history");
  await p3.close();

  // Replica A (user 1's) restarts; the lab user talks meanwhile.
  const r = await sync("restart-a", { room });
  await p1.waitForSelector('#status[data-state="disconnected"]');
  await shot(p1, "desktop-disconnected");
  await sync("restarted");
  await connected(p1);
  await p1.waitForFunction((want) =>
    document.querySelector("#room-name").textContent === want, room);
  check(true, "reconnected into the room it was in");
  await seen(p1, g.lab, r.text);
  for (const [f, t] of [[name1, `hello from ${name1}`], [g.lab, `hi ${name1}, from the lab`],
    [g.telnet, "telnet says hi"], [g.lab, r.text]])
    check(await count(p1, f, t) === 1, `after the reconnect "${t}" is shown once`);
  await say(p1, "back again");
  await seen(p2, name1, "back again");
  await shot(p1, "desktop-reconnected");

  // Log out everywhere (from another browser of user 1): page 1's socket closes.
  const other = await newPage(browser);
  await other.goto(`${base}/login`);
  await other.fill("#email", await p1.$eval(".email", (e) => e.textContent));
  await other.fill("#password", pw);
  await submit(other, 'main button[type="submit"]');
  await other.goto(`${base}/account`);
  await submit(other, 'form[action="/account/sessions/revoke-others"] button');
  await p1.waitForSelector('#status[data-state="signed-out"]', { timeout: 10000 });
  check(true, "log out everywhere: the page's chat socket closed, the page says signed out");
  await here(p2, [name2, g.lab]);
  await shot(p1, "desktop-signed-out");

  // Chat tokens on the account page (phone size).
  await p2.goto(`${base2}/account`);
  await p2.fill("#label", "my laptop");
  await submit(p2, 'form[action="/account/tokens"] button');
  check(/^[0-9a-f]{64}$/.test(await p2.inputValue("#token")), "a chat token, shown once");
  await shot(p2, "phone-token-created");
  await p2.goto(`${base2}/account#tokens`);
  check((await p2.textContent("table.tokens")).includes("my laptop"), "listed on the account page");
  await p2.locator("#tokens").scrollIntoViewIfNeeded();
  await shot(p2, "phone-account-tokens");
  await sync("done");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
} catch (e) {
  // What the pages looked like when it failed.
  let n = 0;
  for (const c of browser.contexts())
    for (const p of c.pages())
      await p.screenshot({ path: join(out, `failed-${++n}.png`) }).catch(() => {});
  console.log(`errors: ${errors.join(" | ")}`);
  throw e;
} finally {
  await browser.close();
}
