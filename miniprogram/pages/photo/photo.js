/**
 * 上传照片: the spec and an example; the separate consent to face processing; wx.chooseMedia
 * (camera or album); the server's auto-fit (POST /me/photo/prepare) with a preview and the
 * spec report; upload with progress (wx.uploadFile to the API's own domain); then the result of
 * the check and face comparison: 比对成功, 比对失败 with the attempts left, or 已提交所属注协人工审核.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const config = require("../../config.js");
const { withMeta, requireLogin } = require("../../utils/page.js");

const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
const MIME = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heif" };

function mimeOf(path) {
  const ext = String(path || "").split(".").pop().toLowerCase();
  return MIME[ext] || "application/octet-stream";
}

function readFile(filePath) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().readFile({ filePath, success: (r) => resolve(r.data), fail: reject });
  });
}

function writeBase64(filePath, base64) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().writeFile({ filePath, data: base64, encoding: "base64", success: () => resolve(filePath), fail: reject });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One row per rule, with what to do for the failed ones (the shared help texts). */
function rows(checks, withHelp) {
  // a rule that could not run is shown as not checked, without advice: the one real problem stands out
  return (checks || []).map((c) => {
    const skipped = c.state === "not_checked";
    return {
      rule: c.rule, ok: Boolean(c.ok), message: c.message, skipped,
      icon: c.ok ? "✓" : (skipped ? "–" : "✗"),
      help: !c.ok && !skipped && withHelp ? meta.t("photo_rule_help." + c.rule) : "",
    };
  });
}

/** The spec's figures beside the example photo (GET /meta's photo_spec), in the shared words. */
function exampleOf(spec) {
  if (!spec || !spec.width) return { width: "", height: "", spec: "" };
  const kb = (n) => Math.round(n / 1024);
  const size = kb(spec.min_bytes) + "–" + kb(spec.max_bytes) + " KB";
  return {
    width: meta.t("example_width", { width: spec.width }),
    height: meta.t("example_height", { height: spec.height }),
    spec: meta.t("example_spec", { size, dpi: spec.min_dpi }),
  };
}

Component({
  data: {
    t: {}, support: meta.support(), example: { width: "", height: "", spec: "" }, metaError: "", loading: true, error: "",
    // step: review | consent | choose | preparing | candidate | uploading | result
    step: "", consentText: "", consentVersion: "", consentChecked: false, consentError: "",
    chooseError: "", notice: "", attemptsLeft: null,
    candidatePath: "", candidateOk: false, checks: [],
    progress: 0, progressText: "",
    result: null,
  },
  methods: {
    onLoad() {
      if (!requireLogin()) return Promise.resolve();
      return this.load();
    },

    load() {
      this.setData({ loading: true, error: "" });
      return Promise.all([withMeta(this), api.get("/me")]).then(([m, me]) => {
        const photo = me.photo || {};
        this.setData({ loading: false, example: exampleOf(m.photo_spec), attemptsLeft: photo.attempts_left === undefined ? null : photo.attempts_left });
        if ((me.status || "active") !== "active") { wx.navigateBack({ fail: () => wx.reLaunch({ url: "/pages/home/home" }) }); return null; }
        if (photo.status === "review") { this.setData({ step: "review" }); return null; }
        if (!photo.consent) return this.showConsent();
        this.setData({ step: "choose" });
        return null;
      }, (err) => {
        if (api.isExpired(err)) return;
        this.setData({ loading: false, error: err.message });
      });
    },

    // -- consent --------------------------------------------------------------------------

    showConsent() {
      return api.get("/me/photo/consent").then((c) => {
        this.setData({ step: "consent", consentText: c.text, consentVersion: c.text_version, consentChecked: false, consentError: "" });
      }, (err) => {
        if (api.isExpired(err)) return;
        this.setData({ error: err.message });
      });
    },

    onConsentChange(e) {
      this.setData({ consentChecked: (e.detail.value || []).length > 0, consentError: "" });
    },

    agree() {
      if (!this.data.consentChecked) {
        this.setData({ consentError: meta.t("consent_required") });
        return Promise.resolve();
      }
      return api.post("/me/photo/consent", { text_version: this.data.consentVersion }).then(() => {
        this.setData({ step: "choose", consentError: "" });
      }, (err) => {
        if (api.isExpired(err)) return;
        this.setData({ consentError: err.message });
      });
    },

    // -- choose and auto-fit ------------------------------------------------------------------

    choose() {
      this.setData({ chooseError: "", notice: "" });
      return new Promise((resolve) => {
        wx.chooseMedia({
          // compressed: a phone original can pass 8 MB, and the auto-fit output is 178 × 220 anyway
          count: 1, mediaType: ["image"], sourceType: ["camera", "album"], sizeType: ["compressed"],
          success: (res) => resolve(this.prepare(res.tempFiles[0])),
          fail: () => resolve(), // cancelled
        });
      });
    },

    prepare(file) {
      if (!file) return Promise.resolve();
      if (file.size > MAX_SOURCE_BYTES) {
        this.setData({ chooseError: meta.t("source_too_large") });
        return Promise.resolve();
      }
      this.setData({ step: "preparing" });
      return readFile(file.tempFilePath)
        .then((data) => api.request("POST", "/me/photo/prepare", { data, contentType: mimeOf(file.tempFilePath) }))
        .then((res) => this.showCandidate(res), (err) => {
          if (api.isExpired(err)) return;
          this.setData({ step: "choose", chooseError: err.status === 413 ? meta.t("source_too_large") : err.message });
        });
    },

    showCandidate(res) {
      const report = res.report || {};
      const checks = report.checks || [];
      const ok = Boolean(res.image) && (checks.length ? checks.every((c) => c.ok) : report.status !== "rejected");
      const set = (candidatePath) => this.setData({ step: "candidate", candidatePath, candidateOk: ok, checks: rows(checks, true),
        prepareFailed: res.image ? "" : (report.message || "") });
      if (!res.image) { set(""); return Promise.resolve(); }
      const base64 = res.image.slice(res.image.indexOf(",") + 1);
      return writeBase64(`${wx.env.USER_DATA_PATH}/photo-candidate-${Date.now()}.jpg`, base64).then(set);
    },

    // -- upload and result ----------------------------------------------------------------------

    upload() {
      if (!this.data.candidateOk || !this.data.candidatePath) return Promise.resolve();
      this.setData({ step: "uploading", progress: 0, progressText: "" });
      return api.uploadFile("/me/photo/direct-uploads", this.data.candidatePath, {
        onProgress: (f) => this.setData({ progress: Math.round(f * 50) }),
      }).then((started) => {
        this.setData({ progress: 50, progressText: meta.t("checking_note") });
        return this.poll(started.upload_id);
      }).then((result) => result && this.showResult(result), (err) => {
        if (api.isExpired(err)) return;
        if (err.code === "CONSENT_REQUIRED") { this.showConsent(); return; }
        this.setData({ step: "choose", notice: err.message });
      });
    },

    poll(uploadId) {
      const start = Date.now();
      const path = "/me/photo/uploads/" + encodeURIComponent(uploadId);
      const again = () => api.get(path).then((res) => {
        if (res.status && res.status !== "pending") return res;
        if (Date.now() - start > config.checkTimeoutMs) {
          throw new api.ApiError(0, { code: "CHECK_TIMEOUT", message: meta.t("check_timeout") });
        }
        this.setData({ progress: Math.min(95, 50 + Math.round((Date.now() - start) / 1000)) });
        return sleep(config.pollIntervalMs).then(again);
      });
      return again();
    },

    showResult(res) {
      const failed = (res.checks || []).filter((c) => !c.ok);
      const left = res.attempts_left === undefined || res.attempts_left === null ? null : Number(res.attempts_left);
      let result;
      if (res.status === "accepted") {
        result = { kind: "success", title: meta.t("match_success"), text: meta.t("match_success_detail"), checks: [] };
      } else if (res.status === "review") {
        // one state, one message: the server's review sentence, no per-rule advice rows
        result = { kind: "info", title: meta.t("review_title"), text: res.message || meta.t("review_detail"), checks: [] };
      } else {
        result = {
          kind: "error", title: meta.t("match_failed"),
          text: failed.length ? meta.t("failed_items") : res.message,
          checks: rows(failed, true),
          attempts: left === null ? "" : meta.t("attempts_left", { n: left }) + (left === 0 ? meta.t("sent_to_review") : ""),
        };
      }
      this.setData({ step: "result", progress: 100, result, attemptsLeft: left });
    },

    again() {
      this.setData({ step: "choose", candidatePath: "", checks: [], result: null, chooseError: "", notice: "" });
    },

    toCert() { wx.redirectTo({ url: "/pages/cert/cert" }); },
    back() { wx.navigateBack({ fail: () => wx.reLaunch({ url: "/pages/home/home" }) }); },
  },
});
