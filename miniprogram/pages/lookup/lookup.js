/**
 * 会员编号查询 (public): name + ID type + ID number + captcha → the member number and the
 * association. The ID types are the schema's options from /meta/fields.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta } = require("../../utils/page.js");

Component({
  data: {
    t: {}, support: meta.support(), metaError: "",
    idTypes: [], idTypeIndex: 0, name: "", idNumber: "", captchaCode: "", captchaId: "", captchaImage: "",
    errors: {}, message: "", busy: false, result: null,
  },
  methods: {
    onLoad() {
      return withMeta(this).then((m) => {
        const f = (m.fields || []).find((x) => x.key === "id_type");
        this.setData({ idTypes: (f && f.options) || [] });
      }, () => {}).then(() => this.refreshCaptcha());
    },

    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, ["errors." + field]: "" });
    },

    onIdType(e) { this.setData({ idTypeIndex: Number(e.detail.value) }); },

    refreshCaptcha() {
      return api.get("/auth/captcha", { auth: false }).then((c) => {
        this.setData({ captchaId: c.captcha_id, captchaImage: c.image, captchaCode: "" });
      }, () => this.setData({ "errors.captchaCode": meta.t("captcha_failed") }));
    },

    submit() {
      const d = this.data;
      const errors = {};
      if (!d.name.trim()) errors.name = meta.t("enter_name");
      if (!d.idNumber.trim()) errors.idNumber = meta.t("enter_id_number");
      if (!d.captchaCode.trim()) errors.captchaCode = meta.t("enter_captcha");
      this.setData({ errors, message: "", result: null });
      if (Object.keys(errors).length || d.busy) return Promise.resolve();
      this.setData({ busy: true });
      return api.post("/public/lookup", {
        name: d.name.trim(), id_type: d.idTypes[d.idTypeIndex], id_number: d.idNumber.trim().toUpperCase(),
        captcha_id: d.captchaId, captcha_code: d.captchaCode.trim(),
      }, { auth: false }).then((res) => {
        this.setData({ busy: false, result: {
          memberNo: res.member_no, association: res.association_name || res.association,
          activated: res.activated ? meta.t("lookup_activated") : meta.t("lookup_not_activated"),
        } });
      }, (err) => {
        if (err.code === "CAPTCHA_INVALID") this.setData({ "errors.captchaCode": err.message });
        else if (err.body.field === "name") this.setData({ "errors.name": err.message });
        else if (err.body.field === "id_number") this.setData({ "errors.idNumber": err.message });
        else this.setData({ message: err.message });
        this.setData({ busy: false });
      }).then(() => this.refreshCaptcha());
    },

    toLogin() { wx.reLaunch({ url: "/pages/login/login" }); },
  },
});
