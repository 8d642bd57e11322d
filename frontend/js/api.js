/**
 * The API client shared by every page.
 *
 * - The API root comes from /config.js (window.APP_CONFIG.apiBase), written by the local stack
 *   and by the deploy step, so the same static files run everywhere.
 * - The bearer token lives in sessionStorage (per tab, gone when the tab closes), one key per
 *   application ("member" or "staff") so the two pages never pick up each other's session.
 * - Every failure becomes an ApiError with a Chinese message fit to show as is. A missing,
 *   expired or revoked token (the gateway answers 401/403 without our "code") becomes
 *   SESSION_EXPIRED and calls the page's onSessionExpired handler.
 */

import { setSupport } from "./support.js";
import { loadTexts, t } from "./texts.js";


export class ApiError extends Error {
  constructor(status, body, message) {
    super(message || (body && body.message) || "系统繁忙,请稍后再试");
    this.name = "ApiError";
    this.status = status;
    this.body = body || {};
    this.code = (body && body.code) || (status === 0 ? "NETWORK_ERROR" : "HTTP_" + status);
  }
}

/** Error codes whose server message we replace or complete with clearer wording. */
const MESSAGES = {
  INTERNAL_ERROR: "系统繁忙,请稍后再试",
  CAPTCHA_INVALID: "验证码错误或已过期,请重新输入",
  VERSION_CONFLICT: "该会员信息已被他人修改,请刷新后重新修改",
};

/** The wording for an error code: the shared texts first (read when asked: they load at start-up). */
function sharedMessage(code) {
  const shared = { NETWORK_ERROR: "network_error", SESSION_EXPIRED: "session_expired",
    PHOTO_UNAVAILABLE: "photo_unavailable", PHOTO_MISSING: "photo_missing" }[code];
  return (shared && t(shared)) || MESSAGES[code];
}

export function apiBase() {
  const cfg = window.APP_CONFIG || {};
  return String(cfg.apiBase || "").replace(/\/+$/, "");
}

/** The filename from a Content-Disposition header (RFC 6266 filename* first). */
export function filenameFrom(disposition, fallback) {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try { return decodeURIComponent(star[1].trim().replace(/^"|"$/g, "")); } catch (e) { /* fall through */ }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition);
  return plain ? plain[1].trim() : fallback;
}

export function messageFor(err) {
  if (!(err instanceof ApiError)) return "系统繁忙,请稍后再试";
  if (err.code === "TOO_MANY_REQUESTS") {
    const wait = Number(err.body.retry_after);
    const base = err.body.message || "操作过于频繁";
    if (/\d/.test(base) || !(wait > 0)) return base;
    return `${base.replace(/[,,。]?请稍后再试。?$/, "")},请 ${formatWait(wait)}后再试`;
  }
  if (err.code === "VERSION_CONFLICT") return MESSAGES.VERSION_CONFLICT;
  return err.body.message || sharedMessage(err.code) || err.message;
}

function formatWait(seconds) {
  if (seconds < 60) return `${Math.ceil(seconds)} 秒`;
  return `${Math.ceil(seconds / 60)} 分钟`;
}

export class Api {
  /** @param {string} app "member" | "staff" */
  constructor(app) {
    this.key = `ecert.${app}.session`;
    this.onSessionExpired = null;
  }

  get session() {
    try { return JSON.parse(sessionStorage.getItem(this.key) || "null"); } catch (e) { return null; }
  }

  get token() { return this.session && this.session.token; }
  get user() { return (this.session && this.session.user) || null; }

  saveSession(token, user) {
    sessionStorage.setItem(this.key, JSON.stringify({ token, user }));
  }

  clearSession() { sessionStorage.removeItem(this.key); }

  /**
   * request("GET", "/me") → parsed JSON.
   * opts: json (body to send as JSON), body + contentType (raw), query (object),
   *       accept ("application/pdf" etc. → returns {blob, filename, type}), auth (default true),
   *       signal.
   */
  async request(method, path, opts = {}) {
    const url = new URL(apiBase() + path, window.location.href);
    for (const [k, v] of Object.entries(opts.query || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const headers = {};
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers["Content-Type"] = opts.contentType || "application/octet-stream";
      body = opts.body;
    }
    headers.Accept = opts.accept || "application/json";
    const token = opts.auth === false ? null : this.token;
    if (token) headers.Authorization = `Bearer ${token}`;

    let resp;
    try {
      resp = await fetch(url.toString(), { method, headers, body, signal: opts.signal, cache: "no-store" });
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      // A gateway rejection of the token may arrive without CORS headers, which the browser
      // reports as a network failure: ask the API whether the session still stands.
      if (token) throw await this._diagnose(token, 0);
      throw new ApiError(0, { code: "NETWORK_ERROR", message: t("network_error") || undefined });
    }

    if (resp.ok) {
      if (opts.accept && opts.accept !== "application/json") {
        const blob = await resp.blob();
        return { blob, type: resp.headers.get("Content-Type") || blob.type,
                 filename: filenameFrom(resp.headers.get("Content-Disposition"), opts.filename || "download") };
      }
      if (resp.status === 204) return {};
      const text = await resp.text();
      if (!text) return {};
      try { return JSON.parse(text); } catch (e) { return { raw: text }; }
    }

    let data = {};
    try { data = await resp.json(); } catch (e) { data = {}; }
    const gatewayReject = !data.code && (resp.status === 401 || resp.status === 403);
    if (gatewayReject && token) throw await this._diagnose(token, resp.status);
    if (data.code === "UNAUTHORIZED" && resp.status === 401) throw this._expired();
    if (!data.message && data.Message) data.message = data.Message;
    throw new ApiError(resp.status, data, sharedMessage(data.code) && !data.message ? sharedMessage(data.code) : undefined);
  }

  _expired() {
    this.clearSession();
    const err = new ApiError(401, { code: "SESSION_EXPIRED", message: t("session_expired") });
    if (typeof this.onSessionExpired === "function") {
      // after the current call stack, so the caller's error handling runs first
      setTimeout(() => this.onSessionExpired(err), 0);
    }
    return err;
  }

  /**
   * After a gateway-level refusal (no "code") or a CORS-less failure: is it the session? A
   * revoked or expired token fails /auth/session too; a route the gateway does not know
   * ("Missing Authentication Token") does not end the session.
   */
  async _diagnose(token, status) {
    try {
      const r = await fetch(apiBase() + "/auth/session", { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }, cache: "no-store" });
      if (r.ok) {
        return new ApiError(status, { code: "UNAVAILABLE", message: "该功能暂不可用,请稍后再试或联系管理员" });
      }
      return this._expired();
    } catch (e) {
      // no CORS headers on the refusal either: the API is up if /health answers
      try {
        const h = await fetch(apiBase() + "/health", { cache: "no-store" });
        if (h.ok) return this._expired();
      } catch (e2) { /* fall through */ }
      return new ApiError(0, { code: "NETWORK_ERROR", message: t("network_error") || undefined });
    }
  }

  get(path, opts) { return this.request("GET", path, opts); }
  post(path, json, opts = {}) { return this.request("POST", path, { ...opts, json: json === undefined ? {} : json }); }
  patch(path, json, opts = {}) { return this.request("PATCH", path, { ...opts, json }); }
}

/**
 * GET /meta, fetched once per page: the field schema, associations, status values with labels,
 * the fields an application requires, validation rules and the photo spec numbers.
 */
let metaPromise = null;
export function loadMeta(api) {
  if (!metaPromise) {
    // the shared texts come with the schema: every page that reads /meta also shows them
    metaPromise = Promise.all([api.get("/meta", { auth: false }), loadTexts(api)])
      .then(([meta]) => { setSupport(meta); return meta; })
      .catch((e) => { metaPromise = null; throw e; });
  }
  return metaPromise;
}
