/**
 * The one API module: every call of the mini-program to the server goes through here.
 *
 * - wx.request for JSON (and for raw image bytes), wx.uploadFile for the photo,
 *   wx.downloadFile for the member photo and the certificate PDF: all on config.apiBase, the one
 *   whitelisted domain.
 * - The session (token, user, expiry) lives in storage; an expired session is dropped before a
 *   call is made, so no request goes out with a token the server would refuse.
 * - Errors reject with an ApiError carrying the server's {"code", "message"} as given. A 401 (or a
 *   gateway refusal of a token that no longer stands) ends the session and returns to 登录.
 */
const config = require("../config.js");

const SESSION_KEY = "ecert.session";
const LOGIN_PAGE = "/pages/login/login";
// used only when the shared texts could not be loaded either (no connection at all)
const OFFLINE = "网络异常,请稍后重试";

let textOf = () => "";

/** meta.js hands in a lookup of the shared texts, so network errors use the API's wording. */
function useTexts(lookup) {
  textOf = lookup;
}

class ApiError extends Error {
  constructor(status, body, message) {
    const b = body && typeof body === "object" ? body : {};
    super(message || b.message || b.Message || textOf("network_error") || OFFLINE);
    this.name = "ApiError";
    this.status = status;
    this.body = b;
    this.code = b.code || (status === 0 ? "NETWORK_ERROR" : "HTTP_" + status);
  }
}

function apiBase() {
  return String(config.apiBase || "").replace(/\/+$/, "");
}

function url(path, query) {
  let u = apiBase() + path;
  const pairs = Object.keys(query || {})
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== "")
    .map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(query[k]));
  if (pairs.length) u += (u.indexOf("?") >= 0 ? "&" : "?") + pairs.join("&");
  return u;
}

// -- session --------------------------------------------------------------------------------

function session() {
  let s = null;
  try { s = wx.getStorageSync(SESSION_KEY) || null; } catch (e) { s = null; }
  if (!s || !s.token) return null;
  if (s.expiresAt && Date.now() >= s.expiresAt) {
    clearSession();
    return null;
  }
  return s;
}

/** Keep a login or password-change answer: {token, expires_in, user}. */
function saveSession(res) {
  const ttl = Number(res.expires_in) > 0 ? Number(res.expires_in) : 1800;
  // a little early, so a call never leaves with a token that expires on the way
  const expiresAt = Date.now() + Math.max(ttl - 30, 1) * 1000;
  wx.setStorageSync(SESSION_KEY, { token: res.token, user: res.user || {}, expiresAt });
}

function clearSession() {
  try { wx.removeStorageSync(SESSION_KEY); } catch (e) { /* nothing stored */ }
}

function user() {
  const s = session();
  return s ? s.user : null;
}

function signedIn() {
  return Boolean(session());
}

let leaving = false;
/** The session is over: drop it and show the login page, once, with the reason. */
function toLogin(reason) {
  clearSession();
  if (leaving) return;
  leaving = true;
  wx.reLaunch({
    url: LOGIN_PAGE + "?reason=" + encodeURIComponent(reason || "expired"),
    complete: () => { leaving = false; },
  });
}

function expiredError() {
  return new ApiError(401, { code: "SESSION_EXPIRED", message: textOf("session_expired") || "" });
}

/**
 * The error for a non-2xx answer; ends the session where the server says it is over. A 401 is
 * always the session. A 403 without our "code" comes from the gateway: a revoked or expired
 * token, or a route the gateway does not know; GET /auth/session tells the two apart.
 */
function failure(status, body, hadToken) {
  const b = body && typeof body === "object" ? body : {};
  if (hadToken && status === 401) {
    toLogin("expired");
    return Promise.resolve(expiredError());
  }
  if (hadToken && status === 403 && !b.code) {
    return sessionStands().then((stands) => {
      if (stands) return new ApiError(status, b);
      toLogin("expired");
      return expiredError();
    });
  }
  return Promise.resolve(new ApiError(status, b));
}

function sessionStands() {
  const s = session();
  if (!s) return Promise.resolve(false);
  return new Promise((resolve) => {
    wx.request({
      url: url("/auth/session"),
      method: "GET",
      header: { Accept: "application/json", Authorization: "Bearer " + s.token },
      success: (res) => resolve(res.statusCode >= 200 && res.statusCode < 300),
      fail: () => resolve(true), // cannot tell: keep the session, report the refusal
    });
  });
}

function authHeader(opts) {
  if (opts.auth === false) return { header: {}, had: false };
  const s = session();
  if (!s) return { header: {}, had: false, missing: true };
  return { header: { Authorization: "Bearer " + s.token }, had: true };
}

function parseJson(data) {
  if (data && typeof data === "object" && !(data instanceof ArrayBuffer)) return data;
  if (typeof data === "string" && data) {
    try { return JSON.parse(data); } catch (e) { return {}; }
  }
  return {};
}

// -- calls ----------------------------------------------------------------------------------

/**
 * request("GET", "/me") → the parsed JSON body.
 * opts: data (object → JSON; ArrayBuffer → raw bytes with opts.contentType), query,
 *       auth (default true: a signed-in call; without a session it goes to the login page).
 */
function request(method, path, opts = {}) {
  const auth = authHeader(opts);
  if (auth.missing) {
    toLogin("expired");
    return Promise.reject(expiredError());
  }
  const header = Object.assign({ Accept: "application/json" }, auth.header);
  let data = opts.data;
  if (data instanceof ArrayBuffer) {
    header["Content-Type"] = opts.contentType || "application/octet-stream";
  } else if (data !== undefined) {
    header["Content-Type"] = "application/json";
  } else if (method !== "GET") {
    header["Content-Type"] = "application/json";
    data = {};
  }
  return new Promise((resolve, reject) => {
    wx.request({
      url: url(path, opts.query),
      method,
      header,
      data,
      dataType: "json",
      timeout: opts.timeout || 60000,
      success: (res) => {
        const body = parseJson(res.data);
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(body);
        else failure(res.statusCode, body, auth.had).then(reject);
      },
      fail: () => reject(new ApiError(0, null)),
    });
  });
}

/**
 * uploadFile("/me/photo/direct-uploads", tempFilePath, {onProgress}) → the parsed JSON body.
 * The file goes as multipart field "file", as the API expects.
 */
function uploadFile(path, filePath, opts = {}) {
  const auth = authHeader(opts);
  if (auth.missing) {
    toLogin("expired");
    return Promise.reject(expiredError());
  }
  return new Promise((resolve, reject) => {
    const task = wx.uploadFile({
      url: url(path, opts.query),
      filePath,
      name: opts.name || "file",
      formData: opts.formData || {},
      header: Object.assign({ Accept: "application/json" }, auth.header),
      timeout: opts.timeout || 60000,
      success: (res) => {
        const body = parseJson(res.data);
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(body);
        else failure(res.statusCode, body, auth.had).then(reject);
      },
      fail: () => reject(new ApiError(0, null)),
    });
    if (task && typeof task.onProgressUpdate === "function" && typeof opts.onProgress === "function") {
      task.onProgressUpdate((p) => opts.onProgress(p.progress / 100));
    }
  });
}

/** The JSON error body of a failed download, which wx.downloadFile saves as the "file". */
function errorBodyOf(tempFilePath) {
  try {
    return parseJson(wx.getFileSystemManager().readFileSync(tempFilePath, "utf8"));
  } catch (e) {
    return {};
  }
}

/**
 * downloadFile("/me/certificate", {accept: "application/pdf"}) → a temporary file path.
 * The Accept header matters: the gateway returns binary bodies only for binary Accept types.
 */
function downloadFile(path, opts = {}) {
  const auth = authHeader(opts);
  if (auth.missing) {
    toLogin("expired");
    return Promise.reject(expiredError());
  }
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: url(path, opts.query),
      header: Object.assign({ Accept: opts.accept || "application/octet-stream" }, auth.header),
      timeout: opts.timeout || 60000,
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.tempFilePath);
        else failure(res.statusCode, errorBodyOf(res.tempFilePath), auth.had).then(reject);
      },
      fail: () => reject(new ApiError(0, null)),
    });
  });
}

const get = (path, opts) => request("GET", path, opts);
const post = (path, data, opts = {}) => request("POST", path, Object.assign({}, opts, { data: data || {} }));
const patch = (path, data, opts = {}) => request("PATCH", path, Object.assign({}, opts, { data }));

/** Sign out on the server (best effort) and forget the session. */
function logout() {
  const done = () => { clearSession(); };
  if (!session()) return Promise.resolve(done());
  return post("/auth/logout", {}).then(done, done);
}

function isExpired(err) {
  return Boolean(err && err.code === "SESSION_EXPIRED");
}

module.exports = {
  ApiError, apiBase, request, get, post, patch, uploadFile, downloadFile,
  session, saveSession, clearSession, user, signedIn, logout, toLogin, isExpired, useTexts,
  SESSION_KEY,
};
