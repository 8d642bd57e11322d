/**
 * 下载会员证: the member confirms the details and the photo, then the PDF is fetched with
 * wx.downloadFile, with the Authorization header and Accept: application/pdf, and opened with
 * wx.openDocument, whose menu (showMenu) saves or forwards it. The gates answer with the same
 * words as on the web page.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta, requireLogin } = require("../../utils/page.js");

// the details the member confirms; labels are the schema's (GET /meta/fields)
const FACTS = ["name", "gender", "birth_date", "member_no", "association", "approval_date", "approval_doc_no"];

Component({
  data: {
    t: {}, support: meta.support(), metaError: "", loading: true, error: "",
    facts: [], photoPath: "", photoProblem: "", active: true, complete: true,
    gate: "", missingText: "", result: "", resultKind: "success", busy: false, filePath: "",
  },
  methods: {
    onLoad() {
      if (!requireLogin()) return Promise.resolve();
      return this.load();
    },

    load() {
      this.setData({ loading: true, error: "" });
      return Promise.all([withMeta(this), api.get("/me")]).then(([schema, me]) => {
        const m = me.member || {};
        const label = (k) => ((schema.fields || []).find((f) => f.key === k) || { label: k }).label;
        const value = (k) => (k === "association" ? m.association_name || m.association : m[k]) || "—";
        const complete = !me.completeness || me.completeness.complete;
        this.setData({
          loading: false,
          facts: FACTS.map((k) => ({ key: k, label: label(k), value: value(k) })),
          active: (me.status || "active") === "active",
          complete,
          missingText: complete ? "" : me.completeness.missing.map((x) => x.label).join("、"),
        });
        return this.loadPhoto();
      }, (err) => {
        if (api.isExpired(err)) return;
        this.setData({ loading: false, error: err.message });
      });
    },

    loadPhoto() {
      return api.downloadFile("/me/photo", { accept: "image/jpeg" }).then((path) => {
        this.setData({ photoPath: path, photoProblem: "" });
      }, (err) => {
        if (api.isExpired(err)) return;
        const unavailable = err.code === "PHOTO_UNAVAILABLE" || err.status === 503;
        this.setData({ photoPath: "", photoProblem: unavailable ? meta.t("photo_unavailable") : meta.t("photo_missing") });
      });
    },

    download() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ result: "", gate: "" });
      if (!this.data.complete) {
        // refused before asking the server, in the words the server's gate uses
        this.setData({ gate: "incomplete" });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      return api.downloadFile("/me/certificate", { accept: "application/pdf" }).then((filePath) => {
        this.setData({ busy: false, filePath, resultKind: "success", result: meta.t("downloaded") });
        return new Promise((resolve) => {
          wx.openDocument({ filePath, fileType: "pdf", showMenu: true, complete: resolve });
        });
      }, (err) => {
        if (api.isExpired(err)) return;
        if (err.code === "INFO_INCOMPLETE") {
          this.setData({ busy: false, gate: "incomplete", complete: false,
            missingText: (err.body.missing || []).map((x) => x.label).join("、") });
        } else if (err.code === "PHOTO_MISSING" || err.code === "PHOTO_UNAVAILABLE") {
          this.setData({ busy: false, gate: "photo", resultKind: "warning", result: err.message });
        } else {
          this.setData({ busy: false, resultKind: "error", result: err.message });
        }
      });
    },

    go(e) {
      const to = e.currentTarget.dataset.to;
      wx.navigateTo({ url: `/pages/${to}/${to}` });
    },
  },
});
