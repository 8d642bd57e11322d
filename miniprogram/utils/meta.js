/**
 * What the API says about itself: the field schema (GET /meta/fields) and the texts both
 * clients show (GET /meta/messages). Pages never carry their own copies of those texts; they
 * read them here. The last good copy stays in storage, so a page can still explain a network
 * failure in the API's words.
 */
const api = require("./api.js");
const config = require("../config.js");

const TEXTS_KEY = "ecert.texts";
let cache = null;
let pending = null;

function stored() {
  try { return wx.getStorageSync(TEXTS_KEY) || null; } catch (e) { return null; }
}

/** "{label}应为6位数字" with {label: "邮政编码"} → "邮政编码应为6位数字". */
function format(template, vars) {
  return String(template || "").replace(/\{(\w+)\}/g, (m, k) => (vars && vars[k] !== undefined ? String(vars[k]) : m));
}

function lookup(texts, key) {
  return key.split(".").reduce((v, k) => (v && typeof v === "object" ? v[k] : undefined), texts);
}

/** A shared text by key ("photo_status_lines.review"), formatted; "" when unknown. */
function t(key, vars) {
  const texts = (cache && cache.texts) || stored() || {};
  const v = lookup(texts, key);
  return typeof v === "string" ? format(v, vars) : "";
}

api.useTexts((key) => t(key));

/** Resolves to {fields, groups, associations, texts, support}; loaded once per launch. */
function load() {
  if (cache) return Promise.resolve(cache);
  if (!pending) {
    pending = Promise.all([
      api.get("/meta/fields", { auth: false }),
      api.get("/meta/messages", { auth: false }),
    ]).then(([fields, messages]) => {
      const texts = messages.texts || {};
      try { wx.setStorageSync(TEXTS_KEY, texts); } catch (e) { /* storage full: keep in memory */ }
      cache = Object.assign({}, fields, { texts, support: supportOf(fields, messages) });
      pending = null;
      return cache;
    }, (err) => {
      pending = null;
      throw err;
    });
  }
  return pending;
}

/** The support contact: the API's, if it publishes one, else the configured one. */
function supportOf(fields, messages) {
  const fromApi = (fields && fields.support) || (messages && messages.support) || null;
  if (fromApi && typeof fromApi === "object" && fromApi.phone) return fromApi;
  if (typeof fromApi === "string" && fromApi) return { phone: fromApi };
  return { phone: config.supportPhone };
}

function support() {
  return (cache && cache.support) || { phone: config.supportPhone };
}

function reset() {
  cache = null;
  pending = null;
}

module.exports = { load, t, format, support, reset, TEXTS_KEY };
