// Issue 13's "Done when" on `docker-compose up` (tests/docker/e2e.py, step
// "browser chat in Chromium"): in Debian's chromium (playwright-core from
// tests/frontend/node_modules) a person registers on the compose front end's
// published port, opens /chat, picks NAME and says LINE; then waits until the
// page shows the lines of the lab-protocol user LAB and the telnet user TELNET
// that e2e.py drives over the published chat port, and takes a screenshot.
//   BASE_URL=... NAME=... LINE=... LAB=... TELNET=... ARTIFACTS=dir node compose_chat.mjs
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const require = createRequire(new URL("../frontend/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const { BASE_URL: base, NAME: name, LINE: line, LAB: lab, TELNET: telnet,
  ARTIFACTS: out } = process.env;
if (!base || !name || !line || !lab || !telnet || !out) {
  console.error("usage: BASE_URL=... NAME=... LINE=... LAB=... TELNET=... ARTIFACTS=... " +
    "node compose_chat.mjs");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const t0 = Date.now();
const ok = (what) => console.log(`ok - ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
const errors = [];
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1200, height: 820 } })).newPage();
  page.setDefaultTimeout(20000);
  page.on("pageerror", (e) => errors.push(String(e)));
  const submit = (sel) => Promise.all([page.waitForNavigation(), page.click(sel)]);

  await page.goto(`${base}/register`);
  await page.fill("#email", `chromium-${randomBytes(4).toString("hex")}@example.com`);
  await page.fill("#password", `purple elephant ${randomBytes(3).toString("hex")} dances`);
  await submit('main button[type="submit"]');
  await page.click('a.navlink[href="/chat"]');
  await page.waitForSelector('input[name="name"]');
  ok("registered, /chat asks for a name");
  await page.fill("#name", name);
  await submit('main button[type="submit"]');
  await page.waitForSelector('#status[data-state="connected"]');
  ok(`picked ${name}, the page's WebSocket is connected`);

  await page.focus("#message");
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
  // e2e.py answers from the lab client and the telnet user once both saw the line.
  for (const [from, text] of [[lab, `hi ${name}, from the lab`], [telnet, "telnet says hi"]]) {
    await page.waitForFunction(([f, t]) => [...document.querySelectorAll("#log li")].some(
      (li) => li.querySelector(".from")?.textContent === f &&
        li.querySelector(".text")?.textContent === t), [from, text], { timeout: 60000 });
    ok(`the page shows ${from}: ${text}`);
  }
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
} finally {
  if (page) {
    const file = join(out, "compose-chat.png");
    await page.screenshot({ path: file }).catch(() => {});
    console.log(`screenshot ${file}`);
  }
  await browser.close();
}
