/**
 * 完善信息: the member record as the schema from /meta/fields describes it. Fields the member may
 * edit are inputs (native pickers for option and date fields), the others are shown read-only
 * with "请联系所属注协修改". Problems show next to their field; 保存并提交信息 sends only the
 * changed fields with the record's version (a stale write is refused by the API).
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const fields = require("../../utils/fields.js");
const { withMeta, requireLogin } = require("../../utils/page.js");

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

Component({
  data: {
    t: {}, support: meta.support(), metaError: "", loading: true, error: "",
    groups: [], values: {}, errors: {}, missing: [], missingText: "", message: "", messageKind: "error",
    busy: false, today: today(),
  },
  methods: {
    onLoad() {
      if (!requireLogin()) return Promise.resolve();
      return this.load();
    },

    load() {
      this.setData({ loading: true, error: "" });
      return Promise.all([withMeta(this), api.get("/me")]).then(([m, me]) => this.build(m, me), (err) => {
        if (api.isExpired(err)) return;
        this.setData({ loading: false, error: err.message });
      });
    },

    build(m, me) {
      this.meta = m;
      const record = me.member || {};
      const editable = new Set(me.editable_fields || m.fields.filter((f) => f.member_editable).map((f) => f.key));
      const missing = (me.completeness && me.completeness.missing) || [];
      const missingKeys = new Set(missing.map((x) => x.key));
      this.schema = m.fields.filter((f) => f.key !== "member_no");
      this.editable = this.schema.filter((f) => editable.has(f.key));
      this.original = {};
      this.version = record.version;
      const values = {};
      for (const f of this.schema) {
        const v = record[f.key] == null ? "" : String(record[f.key]);
        this.original[f.key] = v;
        values[f.key] = f.type === "association" && !editable.has(f.key) ? (record.association_name || v) : v;
      }
      const groups = (m.groups || []).map((g) => ({
        key: g.key,
        label: g.label,
        fields: this.schema.filter((f) => f.group === g.key).map((f) => ({
          key: f.key, label: f.label, type: f.type, required: Boolean(f.required), hint: f.hint || "",
          options: f.type === "select" ? f.options || [] : [],
          editable: editable.has(f.key),
          missing: missingKeys.has(f.key),
        })),
      })).filter((g) => g.fields.length);
      this.setData({
        loading: false, groups, values, errors: {}, missing,
        missingText: missing.map((x) => x.label).join("、"),
      });
    },

    onInput(e) {
      const key = e.currentTarget.dataset.key;
      this.setData({ ["values." + key]: e.detail.value, ["errors." + key]: "" });
    },

    onPick(e) {
      const key = e.currentTarget.dataset.key;
      const f = this.schema.find((x) => x.key === key);
      const value = f.type === "select" ? (f.options || [])[Number(e.detail.value)] || "" : e.detail.value;
      this.setData({ ["values." + key]: value, ["errors." + key]: "" });
    },

    changes() {
      const out = {};
      for (const f of this.editable) {
        const v = String(this.data.values[f.key] || "").trim();
        if (v !== this.original[f.key]) out[f.key] = v;
      }
      return out;
    },

    save() {
      if (this.data.busy) return Promise.resolve();
      const values = {};
      for (const f of this.editable) values[f.key] = this.data.values[f.key];
      const errors = fields.problems(this.editable, values);
      if (Object.keys(errors).length) {
        this.setData({ errors, messageKind: "error", message: meta.t("form_invalid") });
        return Promise.resolve();
      }
      const changes = this.changes();
      this.setData({ errors: {}, message: "" });
      if (!Object.keys(changes).length && !this.data.missing.length) {
        wx.navigateBack({ fail: () => wx.reLaunch({ url: "/pages/home/home" }) });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      return api.patch("/me", { version: this.version, changes }).then((me) => {
        const complete = !me.completeness || me.completeness.complete;
        const text = complete ? meta.t("info_saved") : meta.t("info_saved_incomplete");
        this.build(this.meta, me);
        this.setData({ busy: false, messageKind: complete ? "success" : "warning", message: text });
        wx.showToast({ title: text, icon: complete ? "success" : "none" });
        if (complete) wx.navigateBack({ fail: () => wx.reLaunch({ url: "/pages/home/home" }) });
      }, (err) => {
        if (api.isExpired(err)) return;
        const errors = {};
        for (const e of err.body.errors || []) errors[e.key] = e.message;
        this.setData({ busy: false, errors, messageKind: "error", message: err.message });
      });
    },
  },
});
