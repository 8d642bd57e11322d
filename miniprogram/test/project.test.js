/** The folder is a mini-program project WeChat DevTools opens, with the rules the README states. */
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const PAGES = ["login", "forgot", "lookup", "home", "photo", "info", "cert", "password"];

function sources(dir = ROOT) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "test"].includes(entry.name) || entry.name.startsWith(".")) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (/\.(js|wxml|wxss|json)$/.test(entry.name) && !/^package(-lock)?\.json$/.test(entry.name)) out.push(p);
  }
  return out;
}

test("app.json lists every page of the manual, each with .js/.json/.wxml/.wxss", () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, "app.json"), "utf8"));
  assert.deepEqual(app.pages, PAGES.map((p) => `pages/${p}/${p}`));
  for (const p of app.pages) {
    for (const ext of [".js", ".json", ".wxml", ".wxss"]) assert.ok(fs.existsSync(path.join(ROOT, p + ext)), p + ext);
  }
  for (const f of ["app.js", "app.json", "app.wxss", "sitemap.json", "config.js"]) assert.ok(fs.existsSync(path.join(ROOT, f)), f);
});

test("project.config.json opens in DevTools with a placeholder appid and leaves tests out of the package", () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "project.config.json"), "utf8"));
  assert.equal(cfg.compileType, "miniprogram");
  assert.equal(cfg.appid, "touristappid");
  const ignored = cfg.packOptions.ignore.map((i) => i.value);
  for (const v of ["node_modules", "test", "package.json", "package-lock.json"]) assert.ok(ignored.includes(v), v);
});

test("no base URL outside config.js, and only utils/api.js talks to the network", () => {
  for (const file of sources()) {
    const rel = path.relative(ROOT, file);
    const body = fs.readFileSync(file, "utf8");
    if (rel !== "config.js" && rel !== "project.config.json") {
      assert.doesNotMatch(body, /https?:\/\//, `${rel} hard-codes a URL`);
    }
    if (rel !== path.join("utils", "api.js")) {
      assert.doesNotMatch(body, /wx\.(request|uploadFile|downloadFile)\s*\(/, `${rel} calls the network itself`);
    }
  }
});

test("every page shows the support contact", () => {
  for (const p of PAGES) {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, "pages", p, p + ".json"), "utf8"));
    assert.equal(json.usingComponents.support, "/components/support/support", p);
    assert.match(fs.readFileSync(path.join(ROOT, "pages", p, p + ".wxml"), "utf8"), /<support id="support" phone="\{\{support\.phone\}\}"/, p);
  }
  assert.match(fs.readFileSync(path.join(ROOT, "config.js"), "utf8"), /supportPhone: "010-88250337\/0338"/);
});

test("every WXML and WXSS file compiles with WeChat's own compilers (wcc / wcsc, as DevTools does)", () => {
  const compiler = require("miniprogram-compiler");
  const wxml = compiler.wxmlToJs(ROOT);
  for (const p of PAGES) assert.ok(wxml.includes(`pages/${p}/${p}.wxml`), p);
  const wxss = compiler.wxssToJs(ROOT);
  for (const p of PAGES) assert.ok(wxss.includes(`pages/${p}/${p}.wxss`), p);
});
