/**
 * A `wx` for Node: the parts of the mini-program API the pages use, with two transports.
 *
 * - fakeTransport(handler): wx.request / uploadFile / downloadFile answered by a test function
 *   (method, path, {data, header, file}) → {status, body}; every call is recorded.
 * - httpTransport(): REAL HTTP with Node's http module (the end-to-end test against the local
 *   stack): JSON and raw bodies, multipart for uploadFile, the body saved to a temp file for
 *   downloadFile, exactly what WeChat does on a phone.
 *
 * Storage, the file system manager (USER_DATA_PATH is a temp folder), chooseMedia (returns the
 * files the test queued), openDocument, navigation, toasts and phone calls are recorded in
 * `wx.__calls` for assertions.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");
const http = require("http");
const https = require("https");
const crypto = require("crypto");

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "wx-shim-"));
}

function toBuffer(data) {
  if (data === undefined || data === null) return null;
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.from(JSON.stringify(data), "utf8");
}

function headerValue(headers, name) {
  const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? headers[key] : undefined;
}

// -- transports -----------------------------------------------------------------------------

function fakeTransport(handler) {
  const log = [];
  const call = async (kind, opts, extra) => {
    const u = new URL(opts.url);
    const entry = { kind, method: opts.method || (kind === "download" ? "GET" : kind === "upload" ? "POST" : "GET"),
      url: opts.url, path: u.pathname, query: Object.fromEntries(u.searchParams), header: opts.header || {},
      data: opts.data, ...extra };
    log.push(entry);
    const res = (await handler(entry)) || { status: 404, body: { code: "NOT_FOUND", message: "未找到" } };
    return { status: res.status || 200, body: res.body, headers: res.headers || {} };
  };
  return {
    log,
    request: (opts) => call("request", opts),
    upload: (opts) => call("upload", opts, { file: opts.filePath, name: opts.name, formData: opts.formData }),
    download: (opts) => call("download", opts),
  };
}

function httpCall(urlString, { method = "GET", headers = {}, body = null }) {
  return new Promise((resolve, reject) => {
    const u = new URL(urlString);
    const mod = u.protocol === "https:" ? https : http;
    const req = mod.request(u, { method, headers: body ? { ...headers, "Content-Length": body.length } : headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, raw: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setTimeout(120000, () => req.destroy(new Error("timeout")));
    if (body) req.write(body);
    req.end();
  });
}

function decodeBody(res) {
  const type = String(res.headers["content-type"] || "");
  const text = res.raw.toString("utf8");
  if (type.includes("json")) {
    try { return JSON.parse(text); } catch (e) { return text; }
  }
  return text;
}

function httpTransport() {
  const log = [];
  return {
    log,
    async request(opts) {
      const body = opts.method === "GET" ? null : toBuffer(opts.data);
      const entry = { kind: "request", method: opts.method || "GET", url: opts.url, path: new URL(opts.url).pathname };
      log.push(entry);
      const res = await httpCall(opts.url, { method: opts.method || "GET", headers: opts.header || {}, body });
      Object.assign(entry, { status: res.status, body: decodeBody(res) });
      return { status: res.status, body: entry.body, headers: res.headers };
    },
    async upload(opts, onProgress) {
      const boundary = "----WxFormBoundary" + crypto.randomBytes(8).toString("hex");
      const parts = [];
      for (const [k, v] of Object.entries(opts.formData || {})) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
      }
      const file = fs.readFileSync(opts.filePath);
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${opts.name}"; filename="${path.basename(opts.filePath)}"\r\nContent-Type: image/jpeg\r\n\r\n`));
      parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`));
      const body = Buffer.concat(parts);
      log.push({ kind: "upload", method: "POST", url: opts.url, path: new URL(opts.url).pathname, bytes: file.length });
      const res = await httpCall(opts.url, { method: "POST",
        headers: { ...(opts.header || {}), "Content-Type": `multipart/form-data; boundary=${boundary}` }, body });
      if (onProgress) onProgress(100);
      return { status: res.status, body: res.raw.toString("utf8"), headers: res.headers };
    },
    async download(opts) {
      log.push({ kind: "download", method: "GET", url: opts.url, path: new URL(opts.url).pathname, header: opts.header });
      const res = await httpCall(opts.url, { method: "GET", headers: opts.header || {} });
      return { status: res.status, body: res.raw, headers: res.headers };
    },
  };
}

// -- wx ---------------------------------------------------------------------------------------

function createWx(transport) {
  const dir = tempDir();
  const storage = new Map();
  const calls = { navigate: [], toast: [], modal: [], opened: [], phone: [], chooseMedia: [] };
  const media = [];
  let seq = 0;

  const settle = (opts, promise) => {
    promise.then((res) => {
      opts.success && opts.success(res);
      opts.complete && opts.complete(res);
    }, (err) => {
      const e = { errMsg: "fail " + (err && err.message ? err.message : String(err)) };
      opts.fail && opts.fail(e);
      opts.complete && opts.complete(e);
    });
  };

  const saveTemp = (buffer, ext) => {
    const file = path.join(dir, `tmp_${++seq}${ext || ""}`);
    fs.writeFileSync(file, buffer);
    return file;
  };

  const fsm = {
    readFile(opts) {
      settle(opts, Promise.resolve().then(() => {
        const buf = fs.readFileSync(opts.filePath);
        if (opts.encoding) return { data: buf.toString(opts.encoding) };
        return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) };
      }));
    },
    readFileSync(filePath, encoding) {
      const buf = fs.readFileSync(filePath);
      if (encoding) return buf.toString(encoding);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    },
    writeFile(opts) {
      settle(opts, Promise.resolve().then(() => {
        const data = typeof opts.data === "string" ? Buffer.from(opts.data, opts.encoding || "utf8") : toBuffer(opts.data);
        fs.writeFileSync(opts.filePath, data);
        return {};
      }));
    },
    writeFileSync(filePath, data, encoding) {
      fs.writeFileSync(filePath, typeof data === "string" ? Buffer.from(data, encoding || "utf8") : toBuffer(data));
    },
    unlink(opts) { settle(opts, Promise.resolve().then(() => { fs.rmSync(opts.filePath, { force: true }); return {}; })); },
  };

  const wx = {
    env: { USER_DATA_PATH: dir },
    __calls: calls,
    __transport: transport,
    __queueMedia(filePath) { media.push(filePath); },

    request(opts) {
      settle(opts, transport.request(opts).then((res) => ({
        statusCode: res.status, data: res.body, header: res.headers || {},
      })));
      return { abort() {} };
    },
    uploadFile(opts) {
      const listeners = [];
      settle(opts, transport.upload(opts, (p) => listeners.forEach((l) => l({ progress: p }))).then((res) => {
        listeners.forEach((l) => l({ progress: 100, totalBytesSent: 1, totalBytesExpectedToSend: 1 }));
        return { statusCode: res.status, data: typeof res.body === "string" ? res.body : JSON.stringify(res.body) };
      }));
      return { onProgressUpdate(cb) { listeners.push(cb); }, abort() {} };
    },
    downloadFile(opts) {
      settle(opts, transport.download(opts).then((res) => {
        const body = Buffer.isBuffer(res.body) ? res.body : toBuffer(res.body) || Buffer.alloc(0);
        return { statusCode: res.status, tempFilePath: saveTemp(body, headerValue(res.headers, "content-type") === "application/pdf" ? ".pdf" : "") };
      }));
      return { onProgressUpdate() {}, abort() {} };
    },

    getStorageSync(key) { return storage.has(key) ? JSON.parse(storage.get(key)) : ""; },
    setStorageSync(key, value) { storage.set(key, JSON.stringify(value)); },
    removeStorageSync(key) { storage.delete(key); },
    getFileSystemManager() { return fsm; },

    chooseMedia(opts) {
      calls.chooseMedia.push(opts);
      const file = media.shift();
      if (!file) { settle(opts, Promise.reject(new Error("chooseMedia:fail cancel"))); return; }
      settle(opts, Promise.resolve({ type: "image", tempFiles: [{ tempFilePath: file, size: fs.statSync(file).size, fileType: "image" }] }));
    },
    openDocument(opts) { calls.opened.push(opts); settle(opts, Promise.resolve({})); },
    navigateTo(opts) { calls.navigate.push({ how: "navigateTo", url: opts.url }); settle(opts, Promise.resolve({})); },
    redirectTo(opts) { calls.navigate.push({ how: "redirectTo", url: opts.url }); settle(opts, Promise.resolve({})); },
    reLaunch(opts) { calls.navigate.push({ how: "reLaunch", url: opts.url }); settle(opts, Promise.resolve({})); },
    navigateBack(opts = {}) { calls.navigate.push({ how: "navigateBack" }); settle(opts, Promise.resolve({})); },
    showToast(opts) { calls.toast.push(opts.title); settle(opts, Promise.resolve({})); },
    showModal(opts) { calls.modal.push(opts); settle(opts, Promise.resolve({ confirm: true, cancel: false })); },
    showLoading() {}, hideLoading() {},
    makePhoneCall(opts) { calls.phone.push(opts.phoneNumber); settle(opts, Promise.resolve({})); },
    pageScrollTo() {},
  };
  return wx;
}

module.exports = { createWx, fakeTransport, httpTransport };
