/**
 * Render a page of the mini-program with miniprogram-simulate (WeChat's own component test
 * library, on jsdom) against a `wx` shim, and small helpers to read and drive it.
 */
const path = require("path");
const { JSDOM } = require("jsdom");

const ROOT = path.resolve(__dirname, "..", "..");

const dom = new JSDOM("<!doctype html><html><head></head><body></body></html>", { pretendToBeVisual: true });
for (const key of ["window", "document", "Node", "Element", "HTMLElement", "Event", "CustomEvent", "MouseEvent",
  "navigator", "getComputedStyle", "requestAnimationFrame"]) {
  // jsdom's own classes, also where Node has its own (Event): jsdom only dispatches its events
  try {
    Object.defineProperty(global, key, { value: key === "window" ? dom.window : dom.window[key],
      configurable: true, writable: true });
  } catch (e) { /* not redefinable here */ }
}

const simulate = require("miniprogram-simulate");
const meta = require(path.join(ROOT, "utils", "meta.js"));
const config = require(path.join(ROOT, "config.js"));

/** Render pages/<name>/<name> with `wx` installed globally; returns the component. */
function renderPage(name, wx) {
  global.wx = wx;
  global.getApp = () => ({});
  meta.reset();
  const id = simulate.load(path.join(ROOT, "pages", name, name), { rootPath: ROOT, compiler: "simulate" });
  const comp = simulate.render(id);
  comp.attach(document.createElement("parent-wrapper"));
  return comp;
}

/** Wait until fn() is truthy (the page works through promises and wx callbacks). */
async function until(fn, { timeout = 5000, step = 5, what = "condition" } = {}) {
  const start = Date.now();
  for (;;) {
    let v;
    try { v = fn(); } catch (e) { v = undefined; }
    if (v) return v;
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, step));
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** The rendered text of the page (whitespace collapsed). */
function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, " ").trim();
}

function find(comp, selector) {
  const el = comp.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  return el;
}

function has(comp, selector) {
  return Boolean(comp.querySelector(selector));
}

/** Events reach the page asynchronously (as on a phone): await these. */
async function type(comp, selector, value) {
  find(comp, selector).dispatchEvent("input", { detail: { value } });
  await tick(1);
}

async function tap(comp, selector) {
  find(comp, selector).dispatchEvent("tap");
  await tick(1);
}

/** A picker's change event: detail.value is the chosen index (or the date string). */
async function pick(comp, selector, value) {
  find(comp, selector).dispatchEvent("change", { detail: { value } });
  await tick(1);
}

function textOf(comp, selector) {
  return find(comp, selector).dom.textContent.replace(/\s+/g, " ").trim();
}

module.exports = { ROOT, config, meta, simulate, renderPage, until, tick, text, find, has, type, tap, pick, textOf };
